"""The whole story, through the API: Telegram's block of 14 July 2017 and its lift of 10 August 2017, recorded
afterwards; then a block ordered today, a lift of some names for some ISPs for a week, and the block resuming
at its end; and the blocklist as of each date, national and for each ISP."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from blocking.models import BlocklistVersion, BlockOrder, OrderRecipient
from blocking.tasks import run_sweep
from notices.models import Delivery
from platforms.demo import TELEGRAM_NAMES
from tests.factories import PASSWORD, second_factor_code
from tests.factories_blocking import ISPFactory, isp_user

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")
TODAY = datetime(2025, 3, 3, 9, 0, tzinfo=WIB)
LIFTED = ["t.me", "web.telegram.org"]


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


class Desk:
    """The ministry's supervisors at the API: one drafts, another approves."""

    def __init__(self, api_client, proposer, approver):
        self.api, self.proposer, self.approver = api_client, proposer, approver

    def post(self, path: str, body: dict, status: int = 201) -> dict:
        self.api.force_authenticate(self.proposer)
        response = self.api.post(f"/api/v1/block-orders/{path}", body, format="json")
        assert response.status_code == status, response.content
        return response.json()

    def approve(self, order: dict) -> dict:
        self.post(f"{order['id']}/submit/", {}, status=200)
        self.api.force_authenticate(self.approver)
        code = second_factor_code(self.approver)
        body = {"password": PASSWORD, "otp_code": code}
        response = self.api.post(f"/api/v1/block-orders/{order['id']}/approve/", body, format="json")
        assert response.status_code == 200, response.content
        return response.json()

    def names(self, reader, at: datetime) -> list[str]:
        self.api.force_authenticate(reader)
        response = self.api.get("/api/v1/blocklist/export/txt/", {"at": at.isoformat()})
        assert response.status_code == 200
        return sorted(b"".join(response.streaming_content).decode().splitlines()[1:])


def mailed(order_id: int, purpose: str = "order") -> list[str]:
    return sorted(
        Delivery.objects.filter(
            about_type=ContentType.objects.get_for_model(OrderRecipient),
            about_id__in=OrderRecipient.objects.filter(order_id=order_id).values("pk"),
            purpose=purpose,
        ).values_list("recipient", flat=True)
    )


def test_the_telegram_story(api_client, supervisor, make_user, auditor):
    desk = Desk(api_client, supervisor, make_user("supervisor"))
    telkom = ISPFactory(name="Telkom Indonesia", contact_email="noc@telkom.example")
    indosat = ISPFactory(name="Indosat Ooredoo", contact_email="noc@indosat.example")
    xl = ISPFactory(name="XL Axiata", contact_email="noc@xl.example")
    readers = {"national": auditor, "telkom": isp_user(telkom), "indosat": isp_user(indosat), "xl": isp_user(xl)}
    common = {"justification": "radicalism and terrorism on Telegram channels", "legal_basis": "Law 19/2016 art. 40"}

    with time_machine.travel(TODAY, tick=False):
        # 2017, recorded afterwards: the lift is drafted before the block is approved, so today's list never
        # holds names lifted in 2017.
        block_2017 = desk.post(
            "record-past/", {**common, "names": TELEGRAM_NAMES, "effective_at": "2017-07-14T11:30:00+07:00"}
        )
        lift_2017 = desk.post(
            "record-past/", {**common, "lifts": block_2017["id"], "effective_at": "2017-08-10T12:00:00+07:00"}
        )
        assert desk.approve(lift_2017)["status"] == "approved"
        assert desk.approve(block_2017)["status"] == "lifted"
        assert BlocklistVersion.objects.order_by("-serial").first().names_in_force == 0

        # Today: a block order of the same names, to every ISP, effective in ten minutes.
        block = desk.post(
            "", {**common, "names": TELEGRAM_NAMES, "effective_at": (TODAY + timedelta(minutes=10)).isoformat()}
        )
        desk.approve(block)
    with time_machine.travel(TODAY + timedelta(minutes=10), tick=False):
        assert run_sweep()["issued"] == 1

    # A lift of two names for Telkom and Indosat, for a week; XL keeps blocking them.
    lift_at, resume_at = TODAY + timedelta(hours=1), TODAY + timedelta(days=7, hours=1)
    with time_machine.travel(TODAY + timedelta(minutes=20), tick=False):
        lift = desk.post(
            f"{block['id']}/lift/",
            {
                **common,
                "justification": "Telegram removed the channels; a week's trial",
                "names": LIFTED,
                "isps": [telkom.pk, indosat.pk],
                "effective_at": lift_at.isoformat(),
                "ends_at": resume_at.isoformat(),
            },
        )
        assert lift["binds_all_isps"] is False and sorted(lift["isps"]) == ["Indosat Ooredoo", "Telkom Indonesia"]
        desk.approve(lift)
    with time_machine.travel(lift_at, tick=False):
        assert run_sweep()["issued"] == 1
    with time_machine.travel(resume_at - timedelta(seconds=1), tick=False):
        assert run_sweep()["ended"] == 0
    with time_machine.travel(resume_at, tick=False):
        assert run_sweep()["ended"] == 1
        assert run_sweep()["ended"] == 0

    with time_machine.travel(resume_at + timedelta(days=1), tick=False):
        every = sorted(TELEGRAM_NAMES)
        kept = sorted(set(TELEGRAM_NAMES) - set(LIFTED))
        expected = {
            wib("2017-07-14T11:29"): {"national": [], "telkom": [], "indosat": [], "xl": []},
            wib("2017-07-20T00:00"): {"national": every, "telkom": every, "indosat": every, "xl": every},
            wib("2017-08-11T00:00"): {"national": [], "telkom": [], "indosat": [], "xl": []},
            TODAY + timedelta(minutes=30): {"national": every, "telkom": every, "indosat": every, "xl": every},
            lift_at + timedelta(days=1): {"national": every, "telkom": kept, "indosat": kept, "xl": every},
            resume_at: {"national": every, "telkom": every, "indosat": every, "xl": every},
        }
        for at, lists in expected.items():
            for reader, names in lists.items():
                assert desk.names(readers[reader], at) == names, (at, reader)

    # The versions record each step at the time it took effect.
    references = {order["id"]: order["reference"] for order in (block_2017, lift_2017, block, lift)}
    versions = [
        (references[v.order_id], v.effective_at, v.names_in_force) for v in BlocklistVersion.objects.order_by("serial")
    ]
    assert versions == [
        (block_2017["reference"], wib("2017-07-14T11:30"), 11),
        (lift_2017["reference"], wib("2017-08-10T12:00"), 0),
        (block["reference"], TODAY + timedelta(minutes=10), 11),
        (lift["reference"], lift_at, 11),
        (lift["reference"], resume_at, 11),
    ]
    # History is never mailed; today's orders are, and the resumption goes to the ISPs the lift was issued to.
    assert mailed(block_2017["id"]) == mailed(lift_2017["id"]) == []
    assert mailed(block["id"]) == ["noc@indosat.example", "noc@telkom.example", "noc@xl.example"]
    assert mailed(lift["id"]) == mailed(lift["id"], "resumption") == ["noc@indosat.example", "noc@telkom.example"]
    recorded = BlockOrder.objects.get(pk=block_2017["id"])
    assert recorded.recorded_afterwards and recorded.recorded_by == supervisor and recorded.recorded_at == TODAY
