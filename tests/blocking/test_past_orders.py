"""Orders of the past, recorded afterwards with their real times: approved like any order, put in force and
ended at those times, never mailed; the blocklist as of any date answers from the change rows."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from blocking import exports, services
from blocking.models import BlocklistVersion, BlockOrder, OrderRecipient
from notices.models import Delivery
from tests.factories import PASSWORD, second_factor_code
from tests.factories_blocking import ISPFactory, isp_user, order_in_force
from tracker.core.errors import DomainError

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@pytest.fixture
def second_supervisor(make_user):
    return make_user("supervisor")


@pytest.fixture
def telkom():
    return ISPFactory(name="Telkom")


@pytest.fixture
def indosat():
    return ISPFactory(name="Indosat")


def approve(order, approver):
    services.submit_for_approval(order=order, actor=order.proposed_by)
    services.approve_order(order=order, actor=approver, password=PASSWORD, otp_code=second_factor_code(approver))
    order.refresh_from_db()
    return order


def record_block(supervisor, names="a.example.com\nb.example.com", at="2017-07-14T11:30", **kw):
    return services.record_past_order(
        actor=supervisor,
        names=names,
        justification="radical content, six notices unanswered",
        legal_basis="Law 19/2016 art. 40(2b)",
        effective_at=wib(at),
        **kw,
    )


def record_lift(supervisor, block, at="2017-08-10T12:00", **kw):
    return services.record_past_order(
        actor=supervisor,
        block_order=block,
        justification="the platform apologised and set up a channel",
        legal_basis="Law 19/2016 art. 40(2b)",
        effective_at=wib(at),
        **kw,
    )


def listed(kind="txt", isp=None, at=None) -> list[str]:
    return sorted(exports.get_export(kind, isp=isp, at=at).path.read_text().splitlines()[1:])


def test_a_past_order_takes_effect_at_its_real_time_and_is_never_mailed(supervisor, second_supervisor, telkom):
    order = record_block(supervisor)
    assert order.status == BlockOrder.Status.DRAFT and order.recorded_afterwards
    assert order.recorded_by == supervisor and timezone.now() - order.recorded_at < timedelta(minutes=1)
    order = approve(order, second_supervisor)
    assert order.status == BlockOrder.Status.IN_FORCE
    assert order.issued_at == order.in_force_at == wib("2017-07-14T11:30") and order.next_action_at is None
    assert not Delivery.objects.exists()
    assert not OrderRecipient.objects.filter(next_action_at__isnull=False).exists()  # history: nobody is chased
    assert OrderRecipient.objects.get(order=order).isp == telkom
    version = BlocklistVersion.objects.get()
    assert version.effective_at == wib("2017-07-14T11:30") and timezone.now() - version.created_at < timedelta(
        minutes=1
    )
    assert listed() == ["a.example.com", "b.example.com"]  # never lifted, as far as the records say


def test_a_past_lift_recorded_before_its_block_is_approved_keeps_the_names_out_of_todays_list(
    supervisor, second_supervisor, telkom
):
    block = record_block(supervisor)
    lift = approve(record_lift(supervisor, block), second_supervisor)
    assert lift.status == BlockOrder.Status.APPROVED  # waits for its block
    block = approve(block, second_supervisor)
    lift.refresh_from_db()
    assert block.status == BlockOrder.Status.LIFTED and block.ended_at == wib("2017-08-10T12:00")
    assert lift.status == BlockOrder.Status.IN_FORCE and lift.in_force_at == wib("2017-08-10T12:00")
    assert listed() == [] and listed(isp=telkom) == []
    assert [(v.order_id, v.effective_at) for v in BlocklistVersion.objects.order_by("serial")] == [
        (block.pk, wib("2017-07-14T11:30")),
        (lift.pk, wib("2017-08-10T12:00")),
    ]
    assert not Delivery.objects.exists()


def test_the_list_as_of_a_time_in_every_format_national_and_per_isp(supervisor, second_supervisor, telkom, indosat):
    block = record_block(supervisor, names="a.example.com\n*.b.example.com", isps=[telkom])
    approve(record_lift(supervisor, block), second_supervisor)
    approve(block, second_supervisor)
    live = order_in_force(proposer=supervisor, approver=second_supervisor, names="c.example.com", isps=[indosat])
    during = wib("2017-07-20T00:00")
    for kind in exports.FORMATS:
        text = exports.get_export(kind, at=during).path.read_text()
        assert "a.example.com" in text and "b.example.com" in text and "c.example.com" not in text
        assert "b.example.com" in exports.get_export(kind, isp=telkom, at=during).path.read_text()
        assert "a.example.com" not in exports.get_export(kind, isp=indosat, at=during).path.read_text()
    assert listed("csv", at=during) == [f"a.example.com,no,{block.reference}", f"b.example.com,yes,{block.reference}"]
    document = json.loads(exports.get_export("json", isp=telkom, at=during).path.read_text())
    assert document["as_of"] == "2017-07-19T17:00:00Z" and document["isp"] == telkom.pk
    assert listed(at=wib("2017-07-14T11:29")) == [] and listed(at=wib("2017-07-14T11:30")) != []
    assert listed(at=wib("2017-08-10T11:59:59")) != [] and listed(at=wib("2017-08-10T12:00")) == []
    assert listed(at=live.in_force_at) == ["c.example.com"] == listed(isp=indosat, at=live.in_force_at)
    assert listed(at=live.in_force_at - timedelta(seconds=1)) == []
    signature = json.loads(exports.get_export("rpz", at=during).signature_path.read_text())
    assert signature["format"] == "rpz as of 2017-07-19T17:00:00Z" and signature["serial"] == "3"


def test_a_live_order_cannot_take_effect_in_the_past_nor_a_past_order_in_the_future(supervisor):
    from tests.factories_blocking import draft_order

    with pytest.raises(DomainError, match="in the past"):
        draft_order(proposer=supervisor, effective_in=-timedelta(hours=1))
    with pytest.raises(DomainError, match="cannot take effect in the future"):
        services.record_past_order(
            actor=supervisor,
            names="a.example.com",
            justification="x",
            legal_basis="y",
            effective_at=timezone.now() + timedelta(hours=1),
        )
    assert not BlockOrder.objects.exists()


def test_a_past_lift_cannot_take_effect_before_its_block(supervisor, second_supervisor):
    block = record_block(supervisor)
    with pytest.raises(DomainError, match="cannot take effect before"):
        record_lift(supervisor, block, at="2017-07-01T00:00")
    approve(block, second_supervisor)
    with pytest.raises(DomainError, match="cannot take effect before"):
        record_lift(supervisor, block, at="2017-07-01T00:00")
    assert BlockOrder.objects.filter(kind=BlockOrder.Kind.LIFT).count() == 0


def test_past_orders_and_the_list_as_of_a_date_through_the_api(
    api_client, supervisor, second_supervisor, telkom, indosat
):
    api_client.force_authenticate(supervisor)
    body = {
        "names": ["a.example.com", "b.example.com"],
        "justification": "radical content",
        "legal_basis": "Law 19/2016",
        "effective_at": "2017-07-14T11:30:00+07:00",
        "isps": [telkom.pk],
    }
    response = api_client.post("/api/v1/block-orders/record-past/", body, format="json")
    assert response.status_code == 201, response.content
    block = response.json()
    assert block["recorded_afterwards"] and block["recorded_by"] == supervisor.username and block["status"] == "draft"
    lift = api_client.post(
        "/api/v1/block-orders/record-past/",
        {**body, "lifts": block["id"], "names": ["b.example.com"], "effective_at": "2017-08-10T12:00:00+07:00"},
        format="json",
    )
    assert lift.status_code == 201, lift.content
    assert (
        api_client.post("/api/v1/block-orders/record-past/", {**body, "mail": True}, format="json").status_code == 400
    )
    for order_id in (lift.json()["id"], block["id"]):
        approve(BlockOrder.objects.get(pk=order_id), second_supervisor)

    def export(kind, at, signature=False):
        url = f"/api/v1/blocklist/export/{kind}/{'signature/' if signature else ''}"
        return api_client.get(url, {"at": at})

    text = b"".join(export("txt", "2017-07-20T00:00:00+07:00").streaming_content).decode()
    assert sorted(text.splitlines()[1:]) == ["a.example.com", "b.example.com"]
    text = b"".join(export("txt", "2017-08-11T00:00:00+07:00").streaming_content).decode()
    assert text.splitlines()[1:] == ["a.example.com"]
    signature = json.loads(b"".join(export("txt", "2017-07-20T00:00:00+07:00", True).streaming_content))
    assert signature["format"] == "txt as of 2017-07-19T17:00:00Z"
    assert export("txt", (timezone.now() + timedelta(days=1)).isoformat()).status_code == 400
    assert export("txt", "not a date").status_code == 400
    api_client.force_authenticate(isp_user(indosat))  # never bound by the order: its list then was empty
    text = b"".join(export("csv", "2017-07-20T00:00:00+07:00").streaming_content).decode()
    assert text.splitlines() == ["name,subtree,order_reference"]
    api_client.force_authenticate(isp_user(telkom))
    assert api_client.get(f"/api/v1/block-orders/{block['id']}/").json()["recorded_by"] is None


def test_withdrawing_a_recorded_block_withdraws_the_recorded_lifts_that_waited_for_it(supervisor, second_supervisor):
    block = record_block(supervisor)
    lift = approve(record_lift(supervisor, block), second_supervisor)
    services.withdraw_order(order=block, actor=supervisor, reason="recorded twice by mistake")
    lift.refresh_from_db()
    assert lift.status == BlockOrder.Status.WITHDRAWN and not BlocklistVersion.objects.exists()


def test_a_past_block_with_an_end_that_a_past_lift_ended_sooner_ends_once(supervisor, second_supervisor):
    block = record_block(supervisor, ends_at=wib("2017-12-31T00:00"))
    lift = approve(record_lift(supervisor, block), second_supervisor)
    block = approve(block, second_supervisor)
    assert block.status == BlockOrder.Status.LIFTED and block.ended_at == lift.effective_at
    assert BlocklistVersion.objects.count() == 2
    assert listed(at=wib("2017-09-01T00:00")) == []
