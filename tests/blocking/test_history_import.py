"""A ministry's history comes in from one JSON file through the same services: the Telegram case with its six
notices, a late answer, a meeting, and the 2017 block and lift awaiting a second supervisor's approval."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from blocking import exports, services
from blocking.models import BlockOrder
from notices.models import ContactEntry, Notice, PlatformReply
from platforms.demo import TELEGRAM_NAMES
from platforms.models import UrlRules
from tests.factories import (
    PASSWORD,
    PlatformContactFactory,
    PlatformFactory,
    PlatformHostFactory,
    make_user,
    second_factor_code,
)
from tests.factories_blocking import ISPFactory
from tracker.cases.models import Case
from tracker.core.models import AuditEntry
from tracker.items.models import FlaggedItem

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")
SIX = ["2016-03-29", "2016-06-28", "2016-09-27", "2016-12-27", "2017-03-28", "2017-06-11"]
CHANNEL = "https://t.me/radical_channel_one"


def telegram_history() -> dict:
    return {
        "cases": [
            {
                "platform": "telegram",
                "title": "Terror channels on Telegram",
                "items": [
                    {"url": CHANNEL, "category": "terrorism", "source": "patrol"},
                    {"url": "https://t.me/radical_channel_two", "category": "terrorism", "source": "patrol"},
                ],
                "notices": [
                    {
                        "sent_at": f"{day}T10:00:00+07:00",
                        "replies": [
                            {
                                "received_at": "2017-07-15T08:00:00+07:00",
                                "channel": "email",
                                "summary": "We will set up a channel for the ministry.",
                                "outcomes": {CHANNEL: "removed"},
                            }
                        ]
                        if day == SIX[0]
                        else [],
                    }
                    for day in SIX
                ],
                "contacts": [
                    {
                        "kind": "meeting",
                        "occurred_at": "2017-08-01T10:00:00+07:00",
                        "summary": "Telegram's CEO met the minister",
                        "platform_participants": ["CEO"],
                    }
                ],
                "orders": [
                    {
                        "names": TELEGRAM_NAMES,
                        "justification": "six notices unanswered",
                        "legal_basis": "Law 19/2016 art. 40",
                        "effective_at": "2017-07-14T11:30:00+07:00",
                        "lifts": [{"effective_at": "2017-08-10T12:00:00+07:00"}],
                    }
                ],
            }
        ]
    }


@pytest.fixture
def ministry(tmp_path):
    telegram = PlatformFactory(name="Telegram", slug="telegram", url_rules=UrlRules.TELEGRAM)
    PlatformHostFactory(platform=telegram, host="t.me")
    PlatformContactFactory(platform=telegram, role="abuse", email="abuse@telegram.example")
    ISPFactory(name="Telkom")
    people = {
        "recorder": make_user("supervisor"),
        "verifier": make_user("analyst"),
        "approver": make_user("supervisor"),
    }
    path = tmp_path / "history.json"
    path.write_text(json.dumps(telegram_history()))
    return people, path


def run(path, people, *extra):
    call_command(
        "import_history",
        str(path),
        "--as",
        people["recorder"].username,
        "--verified-by",
        people["verifier"].username,
        *extra,
    )


def test_the_telegram_history_comes_in_and_its_orders_await_a_second_supervisor(ministry, capsys):
    people, path = ministry
    run(path, people)
    out = capsys.readouterr().out
    notices = list(Notice.objects.order_by("sent_at"))
    assert len(notices) == 6 and {n.status for n in notices} == {"lapsed"}
    assert [n.beyond_ladder for n in notices] == [False] * 5 + [True]
    reply = PlatformReply.objects.get()
    assert reply.notice == notices[0] and reply.late
    assert ContactEntry.objects.get().kind == "meeting"
    lift, block = BlockOrder.objects.get(kind="lift"), BlockOrder.objects.get(kind="block")
    assert {lift.status, block.status} == {"awaiting_approval"} and block.recorded_afterwards
    assert out.index(lift.reference) < out.index(block.reference)  # lifts first, as the README says
    assert AuditEntry.objects.filter(object_id=str(block.pk), source=AuditEntry.Source.COMMAND).exists()

    approver = people["approver"]
    for order in (lift, block):
        services.approve_order(order=order, actor=approver, password=PASSWORD, otp_code=second_factor_code(approver))
    in_force = {period.name for period in exports.periods_at(datetime(2017, 7, 20, tzinfo=WIB))}
    assert len(in_force) == len(TELEGRAM_NAMES)
    assert not exports.periods_at(datetime(2017, 8, 11, tzinfo=WIB)).exists()


def test_a_bad_row_keeps_nothing_and_says_where(ministry, tmp_path):
    people, _path = ministry
    history = telegram_history()
    history["cases"][0]["notices"][5]["sent_at"] = "11 June 2017"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(history))
    with pytest.raises(CommandError, match=r"cases\[0\]\.notices\[5\]\.sent_at"):
        run(bad, people)
    assert not Case.objects.exists() and not Notice.objects.exists()


def test_importing_twice_adds_nothing_and_a_dry_run_keeps_nothing(ministry, capsys):
    people, path = ministry
    run(path, people, "--dry-run")
    assert "Would import 1 cases" in capsys.readouterr().out and not Case.objects.exists()
    run(path, people)
    run(path, people)
    assert Case.objects.count() == 1 and Notice.objects.count() == 6 and BlockOrder.objects.count() == 2
    assert "skipped" in capsys.readouterr().out


def test_every_record_the_import_writes_is_audited_as_the_command_line(ministry):
    people, path = ministry
    before = AuditEntry.objects.count()
    run(path, people)
    written = AuditEntry.objects.order_by("pk")[before:]
    assert written and {entry.source for entry in written} == {AuditEntry.Source.COMMAND}
    assert {entry.actor for entry in written} == {people["recorder"], people["verifier"]}


@pytest.mark.parametrize(
    ("spoil", "where", "why"),
    [
        (lambda case: case["items"].__setitem__(1, CHANNEL), r"cases\[0\]\.items\[1\]", "should be an object"),
        (
            lambda case: case["notices"][2].update(sent_on="2016-09-27"),
            r"cases\[0\]\.notices\[2\]",
            "unknown field: sent_on",
        ),
        (
            lambda case: case["notices"][0]["replies"][0].update(channel="fax"),
            r"cases\[0\]\.notices\[0\]\.replies\[0\]",
            "Choose a channel",
        ),
        (
            lambda case: case["notices"][0]["replies"][0].update(received_at="2016-03-28T10:00:00+07:00"),
            r"cases\[0\]\.notices\[0\]\.replies\[0\]",
            "before its notice",
        ),
        (
            lambda case: case["orders"][0].update(isps=["Telkom", "Nowhere Net"]),
            r"cases\[0\]\.orders\[0\]\.isps\[1\]",
            "Nowhere Net",
        ),
        (
            lambda case: case["orders"][0]["lifts"][0].update(names=["example.org"]),
            r"cases\[0\]\.orders\[0\]\.lifts\[0\]",
            "cannot be lifted",
        ),
        (lambda case: case["notices"][0].update(step=6), r"cases\[0\]\.notices\[0\]\.step", "notice rung"),
    ],
)
def test_a_refusal_names_its_place_and_the_reason_and_keeps_nothing(ministry, tmp_path, spoil, where, why):
    people, _path = ministry
    history = telegram_history()
    spoil(history["cases"][0])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(history))
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError, match=f"{where}.*{why}"):
        run(bad, people)
    assert not FlaggedItem.objects.exists() and not BlockOrder.objects.exists()
    assert AuditEntry.objects.count() == before


def test_a_dry_run_writes_nothing_and_says_what_would_await_approval(ministry, capsys):
    people, path = ministry
    before = AuditEntry.objects.count()
    run(path, people, "--dry-run")
    out = capsys.readouterr().out
    assert not FlaggedItem.objects.exists() and not Notice.objects.exists() and not BlockOrder.objects.exists()
    assert AuditEntry.objects.count() == before
    assert "Would import 1 cases" in out and "6 notices" in out and "1 block orders, 1 lifts" in out
    assert out.index("lift of") < out.index("block of 11 names")


def test_orders_name_their_isps_and_a_lift_some_names_for_some_isps_until_a_time(ministry, tmp_path):
    people, _path = ministry
    ISPFactory(name="Indosat")
    history = telegram_history()
    order = history["cases"][0]["orders"][0]
    order["isps"] = ["Telkom", "Indosat"]
    order["lifts"] = [
        {
            "effective_at": "2017-08-10T12:00:00+07:00",
            "ends_at": "2017-08-17T12:00:00+07:00",
            "names": TELEGRAM_NAMES[:2],
            "isps": ["Telkom"],
        }
    ]
    history["cases"].append({**history["cases"][0], "title": "Telegram, second file", "items": [], "notices": []})
    history["cases"][1]["orders"] = [{**order, "isps": "all", "lifts": []}]
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(history))
    run(path, people)
    block = BlockOrder.objects.get(kind="block", case__title="Terror channels on Telegram")
    lift = BlockOrder.objects.get(kind="lift")
    assert not block.binds_all_isps and sorted(block.isps.values_list("name", flat=True)) == ["Indosat", "Telkom"]
    assert block.notices.count() == 6  # the notices sent before it, cited by default
    assert lift.names.count() == 2 and [isp.name for isp in lift.isps.all()] == ["Telkom"]
    assert lift.ends_at == datetime(2017, 8, 17, 12, tzinfo=WIB)
    assert BlockOrder.objects.get(kind="block", case__title="Telegram, second file").binds_all_isps


def test_the_optional_fields_a_ministry_may_give(ministry, tmp_path):
    people, _path = ministry
    case = telegram_history()["cases"][0]
    case["items"][0]["logged_at"] = "2016-03-20T09:00:00+07:00"
    case["notices"] = [
        {
            "sent_at": "2017-06-11T10:00:00+07:00",
            "step": 5,
            "recipients": ["legal@telegram.example"],
            "replies": [
                {
                    "received_at": "2017-07-15T08:00:00+07:00",
                    "channel": "email",
                    "summary": "One removed, one refused.",
                    "outcomes": {
                        "https://t.me/s/radical_channel_one": "removed",
                        "https://t.me/radical_channel_two": {"outcome": "refused", "reason": "news reporting"},
                    },
                }
            ],
        }
    ]
    case["orders"] = []
    path = tmp_path / "list.json"
    path.write_text(json.dumps([case]))  # a bare list of cases is a document too
    run(path, people)
    notice = Notice.objects.get()
    assert notice.step.position == 5 and notice.recipients == ["legal@telegram.example"]
    assert dict(notice.notice_items.values_list("item__canonical", "outcome")) == {
        CHANNEL: "removed",
        "https://t.me/radical_channel_two": "refused",
    }
    sighting = FlaggedItem.objects.get(canonical=CHANNEL).sightings.get()
    assert "2016-03-20" in sighting.note
