"""The whole Telegram case replayed through the API alone, as a ministry migrating its records would: the
channels, six past notices, an answer that came late, a meeting, the block of 14 July 2017 and its lift with
their real dates; then a live order, a lift of some names for some ISPs for a week, the block resuming at its
end, and the blocklist of each date. People act only through /api/v1/; the system (the sweep) does its own part."""

from datetime import timedelta

import pytest
import time_machine

from blocking.tasks import run_sweep
from platforms.demo import TELEGRAM_NAMES
from tests.blocking.test_telegram_story import LIFTED, TODAY, Desk, wib
from tests.factories import PlatformContactFactory, PlatformFactory, PlatformHostFactory, make_user
from tests.factories_blocking import ISPFactory, isp_user

pytestmark = pytest.mark.django_db

SIX = ["2016-03-29", "2016-06-28", "2016-09-27", "2016-12-27", "2017-03-28", "2017-06-11"]


def call(api, user, method: str, path: str, body: dict | None = None, status: int = 201) -> dict:
    api.force_authenticate(user)
    answer = getattr(api, method)(f"/api/v1/{path}", body or {}, format="json")
    assert answer.status_code == status, (path, answer.content)
    return answer.json()


def test_the_telegram_case_from_the_first_channel_to_the_blocklist_of_each_date(api_client):
    analyst, verifier, liaison = make_user("analyst"), make_user("analyst"), make_user("liaison_officer")
    proposer, approver, auditor = make_user("supervisor"), make_user("supervisor"), make_user("auditor")
    telegram = PlatformFactory(name="Telegram", slug="telegram")
    PlatformHostFactory(platform=telegram, host="t.me")
    PlatformContactFactory(platform=telegram, role="abuse", email="abuse@telegram.example")
    telkom, indosat, xl = (ISPFactory(name=name) for name in ("Telkom", "Indosat", "XL"))
    readers = {"national": auditor, "telkom": isp_user(telkom), "indosat": isp_user(indosat), "xl": isp_user(xl)}

    with time_machine.travel(TODAY, tick=False):
        # The channels, verified by a second analyst, and the case.
        items = [
            call(api_client, analyst, "post", "items/", {"url": url, "category": "terrorism", "source": "patrol"})
            for url in ("https://t.me/s/radical_channel_one", "https://t.me/radical_channel_two")
        ]
        for item in items:
            call(api_client, verifier, "post", f"items/{item['id']}/verify/", status=200)
        ids = [item["id"] for item in items]
        case = call(api_client, analyst, "post", "cases/", {"title": "Telegram", "platform": "telegram", "items": ids})

        # Six emails, 29 March 2016 to 11 June 2017: five on the ladder's rungs, the sixth beyond it.
        notices = [
            call(
                api_client,
                liaison,
                "post",
                "notices/record-past/",
                {"case": case["id"], "sent_at": f"{day}T10:00:00+07:00", "items": ids},
            )
            for day in SIX
        ]
        assert [notice["beyond_ladder"] for notice in notices] == [False] * 5 + [True]
        assert {notice["status"] for notice in notices} == {"lapsed"}

        # Telegram answered the first email a year late, and met the ministry after the block.
        late = call(
            api_client,
            liaison,
            "post",
            f"notices/{notices[0]['id']}/replies/",
            {
                "received_at": "2017-07-15T08:00:00+07:00",
                "channel": "email",
                "summary": "We will set up a channel.",
                "recorded_afterwards": True,
            },
        )
        assert late["late"] is True and late["late_by_seconds"] > 365 * 24 * 3600
        meeting = call(
            api_client,
            liaison,
            "post",
            "contact-log/",
            {
                "case": case["id"],
                "kind": "meeting",
                "occurred_at": "2017-08-01T10:00:00+07:00",
                "summary": "Telegram's CEO met the minister",
                "platform_participants": ["Pavel Durov"],
            },
        )
        timeline = call(api_client, analyst, "get", f"cases/{case['id']}/timeline/", status=200)
        told = str(timeline).lower()
        assert notices[5]["reference"].lower() in told and meeting["summary"].lower() in told
        assert "late" in told and "beyond the ladder" in told

        # The block of 14 July 2017 and its lift of 10 August 2017, recorded afterwards.
        desk = Desk(api_client, proposer, approver)
        common = {"justification": "six notices unanswered", "legal_basis": "Law 19/2016 art. 40"}
        block_2017 = desk.post(
            "record-past/",
            {**common, "names": TELEGRAM_NAMES, "case": case["id"], "effective_at": "2017-07-14T11:30:00+07:00"},
        )
        lift_2017 = desk.post(
            "record-past/", {**common, "lifts": block_2017["id"], "effective_at": "2017-08-10T12:00:00+07:00"}
        )
        desk.approve(lift_2017)
        assert desk.approve(block_2017)["status"] == "lifted"

        # Today: a live order to every ISP.
        block = desk.post(
            "", {**common, "names": TELEGRAM_NAMES, "effective_at": (TODAY + timedelta(minutes=10)).isoformat()}
        )
        desk.approve(block)
    with time_machine.travel(TODAY + timedelta(minutes=10), tick=False):
        assert run_sweep()["issued"] == 1

    lift_at, resume_at = TODAY + timedelta(hours=1), TODAY + timedelta(days=7, hours=1)
    with time_machine.travel(TODAY + timedelta(minutes=20), tick=False):
        lift = desk.post(
            f"{block['id']}/lift/",
            {
                **common,
                "names": LIFTED,
                "isps": [telkom.pk, indosat.pk],
                "effective_at": lift_at.isoformat(),
                "ends_at": resume_at.isoformat(),
            },
        )
        desk.approve(lift)
    with time_machine.travel(lift_at, tick=False):
        assert run_sweep()["issued"] == 1
    with time_machine.travel(resume_at, tick=False):
        assert run_sweep()["ended"] == 1

    with time_machine.travel(resume_at + timedelta(days=1), tick=False):
        every, kept = sorted(TELEGRAM_NAMES), sorted(set(TELEGRAM_NAMES) - set(LIFTED))
        expected = {
            wib("2017-07-14T11:29"): {"national": [], "telkom": [], "indosat": [], "xl": []},
            wib("2017-07-20T00:00"): {"national": every, "telkom": every, "indosat": every, "xl": every},
            wib("2017-08-11T00:00"): {"national": [], "telkom": [], "indosat": [], "xl": []},
            TODAY + timedelta(minutes=30): {"national": every, "telkom": every, "indosat": every, "xl": every},
            lift_at + timedelta(days=1): {"national": every, "telkom": kept, "indosat": kept, "xl": every},
            resume_at + timedelta(hours=1): {"national": every, "telkom": every, "indosat": every, "xl": every},
        }
        for at, lists in expected.items():
            for reader, names in lists.items():
                assert desk.names(readers[reader], at) == names, (at, reader)
