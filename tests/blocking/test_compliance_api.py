"""Compliance checks through the API: per ISP and name, what each of its resolvers last answered for an order's
names, and what was found defying it; "check now" queues the check of the order's names (202), which the task
runs at the resolvers of each ISP the order was issued to. Read by the staff who read the order page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blocking.models import ComplianceAlert, ComplianceCheck
from blocking.tasks import check_order_compliance
from tests.factories_blocking import ISPFactory, draft_order, isp_user, order_in_force

pytestmark = pytest.mark.django_db


@pytest.fixture
def approver(make_user):
    return make_user("supervisor")


def answered(isp, name, result, *, resolver="192.0.2.53:53", ago=timedelta(0), expected="blocked"):
    return ComplianceCheck.objects.create(
        isp=isp,
        resolver=resolver,
        name=name,
        expected=expected,
        result=result,
        answer="NXDOMAIN" if result == "compliant" else "NOERROR 192.0.2.80",
        serial=1,
        checked_at=timezone.now() - ago,
    )


def test_an_orders_compliance_per_isp_and_name_shows_each_resolvers_latest_answer(api_client, supervisor, approver):
    telkom = ISPFactory(name="Telkom", resolver_addresses="192.0.2.53\n192.0.2.54:5353")
    indosat = ISPFactory(name="Indosat", resolver_addresses="198.51.100.53")
    order = order_in_force(proposer=supervisor, approver=approver, names="web.telegram.org\n*.t.me")
    answered(telkom, "t.me", "non_compliant", ago=timedelta(hours=6))
    answered(telkom, "t.me", "compliant")  # the latest answer of that resolver
    answered(telkom, "t.me", "error", resolver="192.0.2.54:5353")
    answered(telkom, "elsewhere.example", "compliant")  # not a name of this order
    api_client.force_authenticate(supervisor)
    shown = api_client.get(f"/api/v1/block-orders/{order.pk}/compliance/").json()
    assert (shown["reference"], shown["status"], shown["name_count"]) == (order.reference, "in_force", 2)
    assert [isp["isp_name"] for isp in shown["isps"]] == ["Indosat", "Telkom"]
    indosat_row, telkom_row = shown["isps"]
    assert indosat_row["isp"] == indosat.pk and indosat_row["summary"] == {}
    assert indosat_row["names"] == [{"name": "*.t.me", "checks": []}, {"name": "web.telegram.org", "checks": []}]
    assert telkom_row["resolvers"] == ["192.0.2.53:53", "192.0.2.54:5353"]
    assert telkom_row["summary"] == {"compliant": 1, "error": 1}
    t_me = telkom_row["names"][0]
    assert t_me["name"] == "*.t.me"
    assert [(c["resolver"], c["result"]) for c in t_me["checks"]] == [
        ("192.0.2.53:53", "compliant"),
        ("192.0.2.54:5353", "error"),
    ]
    assert set(t_me["checks"][0]) == {"resolver", "expected", "result", "answer", "serial", "checked_at"}
    assert telkom_row["alerts"] == []


def test_alerts_about_an_order_are_shown_with_it_and_listed(api_client, supervisor, approver, liaison_officer):
    isp = ISPFactory(name="Lagging ISP")
    order = order_in_force(proposer=supervisor, approver=approver)
    now = timezone.now()
    alert = ComplianceAlert.objects.create(
        recipient=order.recipients.get(), problem="not_blocking", names=["t.me"], first_seen_at=now, last_seen_at=now
    )
    api_client.force_authenticate(liaison_officer)
    shown = api_client.get(f"/api/v1/block-orders/{order.pk}/compliance/").json()
    assert [(a["id"], a["problem"], a["status"]) for a in shown["isps"][0]["alerts"]] == [
        (alert.pk, "not_blocking", "open")
    ]
    listed = api_client.get("/api/v1/compliance-alerts/", {"order": order.pk, "status": "open"}).json()
    assert [(row["order_reference"], row["isp_name"], row["names"]) for row in listed["results"]] == [
        (order.reference, "Lagging ISP", ["t.me"])
    ]
    assert (
        api_client.get("/api/v1/compliance-alerts/", {"isp": isp.pk, "problem": "still_blocking"}).json()["results"]
        == []
    )
    assert api_client.get(f"/api/v1/compliance-alerts/{alert.pk}/").json()["isp"] == isp.pk


def test_a_draft_has_no_isps_to_show_and_nothing_to_check(api_client, supervisor, monkeypatch):
    ISPFactory(resolver_addresses="192.0.2.53")
    order = draft_order(proposer=supervisor)
    api_client.force_authenticate(supervisor)
    assert api_client.get(f"/api/v1/block-orders/{order.pk}/compliance/").json()["isps"] == []
    monkeypatch.setattr("blocking.tasks.check_order_compliance.delay", lambda *a: pytest.fail("queued"))
    refused = api_client.post(f"/api/v1/block-orders/{order.pk}/compliance/check/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "nothing_to_check"


def test_check_now_queues_the_check_of_the_orders_names_and_answers_202(
    api_client, supervisor, approver, monkeypatch, django_capture_on_commit_callbacks
):
    with_resolvers = ISPFactory(name="A", resolver_addresses="192.0.2.53")
    ISPFactory(name="B", resolver_addresses="")  # nothing to ask
    order = order_in_force(proposer=supervisor, approver=approver)
    queued = []
    monkeypatch.setattr("blocking.tasks.check_order_compliance.delay", queued.append)
    api_client.force_authenticate(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        answer = api_client.post(f"/api/v1/block-orders/{order.pk}/compliance/check/")
    assert answer.status_code == 202
    assert answer.json() == {"queued": [with_resolvers.pk]}
    assert queued == [order.pk]
    assert api_client.post("/api/v1/block-orders/999999/compliance/check/").status_code == 404


def test_the_check_of_one_order_asks_its_isps_resolvers_for_its_names_only(supervisor, approver, monkeypatch):
    bound = ISPFactory(resolver_addresses="192.0.2.53")
    not_bound = ISPFactory(resolver_addresses="198.51.100.53")
    order_in_force(proposer=supervisor, approver=approver, names="old.example.com", isps=[bound, not_bound])
    order = order_in_force(proposer=supervisor, approver=approver, names="web.telegram.org\n*.t.me", isps=[bound])
    asked = []

    def resolver(name, host, port, timeout):
        asked.append((name, host, port))
        return True, "NXDOMAIN"

    monkeypatch.setattr("blocking.compliance.query", resolver)
    assert check_order_compliance(order.pk) == 2
    assert sorted(asked) == [("t.me", "192.0.2.53", 53), ("web.telegram.org", "192.0.2.53", 53)]
    checks = ComplianceCheck.objects.order_by("name")
    assert [(c.isp, c.name, c.expected, c.result) for c in checks] == [
        (bound, "t.me", "blocked", "compliant"),
        (bound, "web.telegram.org", "blocked", "compliant"),
    ]


def test_the_staff_who_read_the_order_page_read_its_compliance(api_client, make_user, supervisor, approver):
    order = order_in_force(proposer=supervisor, approver=approver)
    for role, status in [("auditor", 200), ("administrator", 200), ("liaison_officer", 200), ("analyst", 403)]:
        api_client.force_authenticate(make_user(role))
        assert api_client.get(f"/api/v1/block-orders/{order.pk}/compliance/").status_code == status, role
    isp = ISPFactory()
    api_client.force_authenticate(isp_user(isp))
    assert api_client.get(f"/api/v1/block-orders/{order.pk}/compliance/").status_code == 403
    assert api_client.get("/api/v1/compliance-alerts/").status_code == 403


@pytest.mark.parametrize("role", ["liaison_officer", "auditor", "analyst"])
def test_only_those_who_keep_the_isp_registry_check_now(api_client, make_user, supervisor, approver, role):
    ISPFactory(resolver_addresses="192.0.2.53")
    order = order_in_force(proposer=supervisor, approver=approver)
    api_client.force_authenticate(make_user(role))
    assert api_client.post(f"/api/v1/block-orders/{order.pk}/compliance/check/").status_code == 403


def test_an_orders_compliance_costs_the_same_queries_for_more_isps(
    api_client, supervisor, approver, django_assert_num_queries, django_assert_max_num_queries
):
    isp = ISPFactory(resolver_addresses="192.0.2.53")
    order = order_in_force(proposer=supervisor, approver=approver)
    answered(isp, "t.me", "compliant")
    url = f"/api/v1/block-orders/{order.pk}/compliance/"
    api_client.force_authenticate(supervisor)
    with django_assert_max_num_queries(10) as small:
        api_client.get(url)
    more = [ISPFactory(resolver_addresses="192.0.2.53") for _ in range(5)]
    order = order_in_force(proposer=supervisor, approver=approver, names="a.example.com\nb.example.com")
    for other in more:
        answered(other, "a.example.com", "compliant")
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(api_client.get(f"/api/v1/block-orders/{order.pk}/compliance/").json()["isps"]) == 6


def test_an_isp_is_checked_only_for_the_names_of_orders_that_bind_it(make_user):
    from blocking.compliance import names_to_check
    from tests.factories_blocking import issued_lift

    telkom, indosat = ISPFactory(name="Telkom"), ISPFactory(name="Indosat")
    proposer, approver = make_user("supervisor"), make_user("supervisor")
    block = order_in_force(proposer=proposer, approver=approver, isps=[telkom], names="a.example.com\nb.example.com")
    order_in_force(proposer=proposer, approver=approver, isps=[indosat], names="c.example.com")
    assert names_to_check(10, telkom) == (["a.example.com", "b.example.com"], [])
    assert names_to_check(10, indosat) == (["c.example.com"], [])
    issued_lift(block=block, proposer=proposer, approver=approver, names="b.example.com", effective_in=timedelta(0))
    assert names_to_check(10, telkom) == (["a.example.com"], ["b.example.com"])
    assert names_to_check(10, indosat) == (["c.example.com"], [])
