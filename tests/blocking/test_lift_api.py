"""Lifts through the API and the page: all or some names of a block order, for all or some of the ISPs it was
issued to (by default exactly those, never another); the same service and the same permissions."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from blocking import exports, services
from blocking.models import BlockOrder
from tests.factories import PASSWORD, second_factor_code
from tests.factories_blocking import ISPFactory, isp_user, order_in_force

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_supervisor(make_user):
    return make_user("supervisor")


@pytest.fixture
def telkom():
    return ISPFactory(name="Telkom")


@pytest.fixture
def indosat():
    return ISPFactory(name="Indosat")


@pytest.fixture
def block(supervisor, second_supervisor, telkom, indosat):
    return order_in_force(
        proposer=supervisor, approver=second_supervisor, names="a.example.com\nb.example.com\n*.c.example.com"
    )


def lift_body(**overrides):
    return {
        "justification": "The platform removed the channels",
        "legal_basis": "Law 19/2016 art. 40",
        "effective_at": (timezone.now() + timedelta(hours=1)).isoformat(),
        **overrides,
    }


def issue(lift, approver):
    services.submit_for_approval(order=lift, actor=lift.proposed_by)
    services.approve_order(order=lift, actor=approver, password=PASSWORD, otp_code=second_factor_code(approver))
    return services.issue_order(order_id=lift.pk, now=lift.effective_at)


def names(isp=None) -> list[str]:
    return exports.get_export("txt", isp=isp).path.read_text().splitlines()[1:]


def test_a_lift_by_default_lifts_every_name_for_exactly_the_isps_the_block_bound(
    api_client, supervisor, second_supervisor, block, telkom, indosat
):
    ISPFactory(name="Biznet")  # registered after the block was issued: the block never bound it
    api_client.force_authenticate(supervisor)
    response = api_client.post(f"/api/v1/block-orders/{block.pk}/lift/", lift_body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "lift" and body["lifts"] == block.reference and body["status"] == "draft"
    assert sorted(body["names"]) == ["*.c.example.com", "a.example.com", "b.example.com"]
    assert sorted(body["isps"]) == ["Indosat", "Telkom"] and body["binds_all_isps"] is False
    lift = issue(BlockOrder.objects.get(pk=body["id"]), second_supervisor)
    assert sorted(lift.recipients.values_list("isp__name", flat=True)) == ["Indosat", "Telkom"]
    block.refresh_from_db()
    assert block.status == BlockOrder.Status.LIFTED and names() == []


def test_a_lift_of_some_names_for_some_isps_leaves_the_rest_in_force(
    api_client, supervisor, second_supervisor, block, telkom, indosat
):
    api_client.force_authenticate(supervisor)
    body = lift_body(names=["a.example.com", "*.c.example.com"], isps=[telkom.pk])
    response = api_client.post(f"/api/v1/block-orders/{block.pk}/lift/", body, format="json")
    assert response.status_code == 201, response.content
    issue(BlockOrder.objects.get(pk=response.json()["id"]), second_supervisor)
    assert names(telkom) == ["b.example.com"]
    assert sorted(names(indosat)) == ["*.c.example.com", "a.example.com", "b.example.com"]
    assert sorted(names()) == ["*.c.example.com", "a.example.com", "b.example.com"]
    block.refresh_from_db()
    assert block.status == BlockOrder.Status.IN_FORCE


def test_a_lift_for_an_isp_the_block_did_not_bind_or_a_name_not_in_force_is_refused_by_field(
    api_client, supervisor, block
):
    stranger = ISPFactory(name="Biznet")
    api_client.force_authenticate(supervisor)
    url = f"/api/v1/block-orders/{block.pk}/lift/"
    refused = api_client.post(url, lift_body(isps=[stranger.pk]), format="json")
    assert refused.status_code == 400 and "does not bind Biznet" in refused.json()["error"]["fields"]["isps"][0]
    not_in_force = api_client.post(url, lift_body(names=["other.example.com"]), format="json")
    assert not_in_force.status_code == 400 and "names" in not_in_force.json()["error"]["fields"]
    unknown = api_client.post(url, lift_body(kind="lift"), format="json")
    assert unknown.status_code == 400 and "kind" in unknown.json()["error"]["fields"]
    assert not BlockOrder.objects.filter(kind=BlockOrder.Kind.LIFT).exists()


def test_only_a_block_order_in_force_can_be_lifted(api_client, supervisor, second_supervisor):
    from tests.factories_blocking import draft_order

    draft = draft_order(proposer=supervisor)
    api_client.force_authenticate(supervisor)
    assert api_client.post(f"/api/v1/block-orders/{draft.pk}/lift/", lift_body(), format="json").status_code == 409


def test_only_supervisors_draft_lifts(api_client, analyst, make_user, block, telkom):
    for caller in (analyst, make_user("auditor"), isp_user(telkom)):
        api_client.force_authenticate(caller)
        assert api_client.post(f"/api/v1/block-orders/{block.pk}/lift/", lift_body(), format="json").status_code == 403
    assert not BlockOrder.objects.filter(kind=BlockOrder.Kind.LIFT).exists()


def local(at) -> str:
    return at.astimezone(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m-%dT%H:%M")


def test_the_lift_page_offers_the_isps_the_block_bound_preselected_and_binds_no_other(
    client, supervisor, second_supervisor, telkom, indosat
):
    mine = order_in_force(proposer=supervisor, approver=second_supervisor, names="a.example.com", isps=[telkom])
    client.force_login(supervisor)
    page = client.get(f"/blocking/orders/{mine.pk}/lift/").content.decode()
    assert f'value="{telkom.pk}"' in page and "checked" in page
    assert f'value="{indosat.pk}"' not in page
    data = {
        "justification": "complied",
        "legal_basis": "same",
        "effective_at": local(timezone.now() + timedelta(hours=1)),
        "isps": [telkom.pk],
    }
    assert client.post(f"/blocking/orders/{mine.pk}/lift/", {**data, "isps": [indosat.pk]}).status_code == 200
    assert client.post(f"/blocking/orders/{mine.pk}/lift/", data).status_code == 302
    lift = BlockOrder.objects.get(kind=BlockOrder.Kind.LIFT)
    assert list(lift.isps.all()) == [telkom] and not lift.binds_all_isps
