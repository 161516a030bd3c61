"""The ISP API: each ISP sees only its orders, acknowledges and reports them, fetches the signed blocklist."""

import pytest

from blocking import signing
from blocking.models import BlockOrder, OrderRecipient
from tests.factories import PASSWORD, api_token, second_factor_code
from tests.factories_blocking import ISPFactory, approved_order, isp_user, order_in_force

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_supervisor(make_user):
    return make_user("supervisor")


def as_user(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return api_client


def test_an_isp_sees_only_orders_addressed_to_it(api_client, supervisor, second_supervisor):
    telkom, indosat = ISPFactory(name="Telkom"), ISPFactory(name="Indosat")
    mine = order_in_force(proposer=supervisor, approver=second_supervisor, isps=[telkom], names="a.example.com")
    theirs = order_in_force(proposer=supervisor, approver=second_supervisor, isps=[indosat], names="b.example.com")
    approved_order(proposer=supervisor, approver=second_supervisor, names="c.example.com")  # not issued yet
    client = as_user(api_client, isp_user(telkom))
    listed = client.get("/api/v1/block-orders/").json()
    assert [order["reference"] for order in listed["results"]] == [mine.reference]
    assert [r["isp"] for r in listed["results"][0]["recipients"]] == ["Telkom"]
    refused = client.get(f"/api/v1/block-orders/{theirs.pk}/")
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"
    assert client.post(f"/api/v1/block-orders/{theirs.pk}/acknowledge/").status_code == 404
    assert not OrderRecipient.objects.filter(order=theirs, acknowledged_at__isnull=False).exists()


def test_an_isp_acknowledges_then_reports_implemented(api_client, supervisor, second_supervisor):
    isp = ISPFactory()
    order = order_in_force(proposer=supervisor, approver=second_supervisor)
    client = as_user(api_client, isp_user(isp))
    acknowledged = client.post(f"/api/v1/block-orders/{order.pk}/acknowledge/")
    assert acknowledged.status_code == 200
    assert acknowledged.json()["recipients"][0]["acknowledged_at"] is not None
    implemented = client.post(f"/api/v1/block-orders/{order.pk}/implemented/")
    recipient = implemented.json()["recipients"][0]
    assert recipient["implemented_at"] is not None and recipient["overdue"] is False
    assert OrderRecipient.objects.get().next_action_at is None  # no more reminders


def test_an_isp_cannot_approve_or_draft_orders(api_client, supervisor):
    isp = ISPFactory()
    order = BlockOrder.objects.none()
    client = as_user(api_client, isp_user(isp))
    created = client.post(
        "/api/v1/block-orders/",
        {"names": ["t.me"], "justification": "x", "legal_basis": "y", "effective_at": "2030-01-01T00:00:00Z"},
        format="json",
    )
    assert created.status_code == 403
    assert created.json()["error"]["status"] == 403
    assert not order.exists()


def test_a_supervisor_drafts_through_the_api_and_bad_names_get_a_field_error(api_client, supervisor):
    client = as_user(api_client, supervisor)
    bad = client.post(
        "/api/v1/block-orders/",
        {
            "names": ["t.me", "https://t.me/x"],
            "justification": "x",
            "legal_basis": "y",
            "effective_at": "2030-01-01T00:00:00Z",
        },
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["names"][0].startswith("line 2")
    assert not BlockOrder.objects.exists()
    good = client.post(
        "/api/v1/block-orders/",
        {"names": ["t.me"], "justification": "x", "legal_basis": "y", "effective_at": "2030-01-01T00:00:00Z"},
        format="json",
    )
    assert good.status_code == 201
    order_id = good.json()["id"]
    assert client.post(f"/api/v1/block-orders/{order_id}/submit/").json()["status"] == "awaiting_approval"
    own = client.post(
        f"/api/v1/block-orders/{order_id}/approve/",
        {"password": PASSWORD, "otp_code": second_factor_code(supervisor)},
        format="json",
    )
    assert own.status_code == 403
    assert own.json()["error"]["code"] == "four_eyes"


def test_an_isp_downloads_the_signed_blocklist_and_the_public_key(api_client, supervisor, second_supervisor):
    isp = ISPFactory()
    order_in_force(proposer=supervisor, approver=second_supervisor)
    client = as_user(api_client, isp_user(isp))
    summary = client.get("/api/v1/blocklist/").json()
    assert summary["version"] == 1
    assert summary["public_key"]["base64"] == signing.public_key_base64()
    rpz = client.get("/api/v1/blocklist/export/rpz/")
    assert rpz.status_code == 200
    assert b"*.t.me CNAME ." in b"".join(rpz.streaming_content)
    signature = client.get("/api/v1/blocklist/export/rpz/signature/")
    assert b'"serial": "1"' in b"".join(signature.streaming_content)
    unknown = client.get("/api/v1/blocklist/export/exe/")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["fields"]["format"]
    diff = client.get("/api/v1/blocklist/diff/", {"from": 0, "to": 1})
    assert b"+web.telegram.org" in b"".join(diff.streaming_content)
    assert client.get("/api/v1/blocklist/diff/", {"from": "x", "to": 1}).status_code == 400


def test_the_order_list_costs_the_same_queries_for_more_orders(
    api_client, supervisor, second_supervisor, django_assert_num_queries, django_assert_max_num_queries
):
    isp = ISPFactory()
    order_in_force(proposer=supervisor, approver=second_supervisor, names="a.example.com")
    client = as_user(api_client, supervisor)
    client.get("/api/v1/me/")  # a token's first use is recorded (last_used_at), once an hour at most
    with django_assert_max_num_queries(11) as small:  # orders, names, ISPs named, notices, recipients, …
        client.get("/api/v1/block-orders/")
    for n in range(5):
        order_in_force(proposer=supervisor, approver=second_supervisor, names=f"n{n}.example.com")
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(client.get("/api/v1/block-orders/").json()["results"]) == 6
    assert isp
