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
    telegram = PlatformFactory(name="Telegram", slug="telegram")
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
