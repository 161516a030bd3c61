"""The blocking pages: forms that name the bad input, ISPs kept out of the UI, lists with pinned query counts."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from blocking.models import ISP, BlockOrder, ComplianceCheck
from blocking.timeline import case_events
from tests.factories import CaseFactory
from tests.factories_blocking import ISPFactory, isp_user, order_in_force

pytestmark = pytest.mark.django_db


def local(at) -> str:
    return at.astimezone(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m-%dT%H:%M")


def order_form(**overrides):
    data = {
        "names": "t.me\nweb.telegram.org",
        "justification": "Six notices unanswered",
        "legal_basis": "Law 19/2016",
        "effective_at": local(timezone.now() + timedelta(hours=1)),
        "binds_all_isps": "on",
    }
    return {**data, **overrides}


def test_a_bad_name_is_shown_on_the_form_and_nothing_saved(client, supervisor):
    client.force_login(supervisor)
    response = client.post("/blocking/orders/new/", order_form(names="t.me\nhttps://t.me/channel"))
    assert response.status_code == 200
    assert "line 2: https://t.me/channel: a DNS name, not a URL or path" in response.content.decode()
    assert not BlockOrder.objects.exists()


def test_an_effective_time_in_the_past_is_shown_on_the_form(client, supervisor):
    client.force_login(supervisor)
    response = client.post("/blocking/orders/new/", order_form(effective_at=local(timezone.now() - timedelta(hours=2))))
    assert "The effective time is in the past." in response.content.decode()
    assert not BlockOrder.objects.exists()


def test_a_supervisor_drafts_an_order_for_named_isps(client, supervisor):
    telkom, _other = ISPFactory(name="Telkom"), ISPFactory()
    client.force_login(supervisor)
    response = client.post("/blocking/orders/new/", order_form(binds_all_isps="", isps=[telkom.pk]))
    order = BlockOrder.objects.get()
    assert response.url == f"/blocking/orders/{order.pk}/"
    assert list(order.isps.all()) == [telkom] and not order.binds_all_isps


def test_isp_accounts_and_analysts_are_kept_out_of_the_ui(client, analyst):
    client.force_login(isp_user(ISPFactory()))
    assert client.get("/blocking/orders/").status_code == 403
    assert client.get("/blocking/blocklist/").status_code == 403
    client.force_login(analyst)
    assert client.post("/blocking/orders/new/", order_form()).status_code == 403


def test_the_order_list_filters_exports_csv_and_has_flat_query_counts(
    client, supervisor, make_user, django_assert_num_queries, django_assert_max_num_queries
):
    approver = make_user("supervisor")
    order_in_force(proposer=supervisor, approver=approver, names="a.example.com")
    client.force_login(supervisor)
    client.get("/blocking/orders/")  # warm the session and permission caches
    with django_assert_max_num_queries(8) as few:
        client.get("/blocking/orders/")
    one_order = len(few.captured_queries)
    for n in range(4):
        order_in_force(proposer=supervisor, approver=approver, names=f"n{n}.example.com")
    client.get("/blocking/orders/?status=in_force")  # its page statement, prepared once per database session
    with django_assert_num_queries(one_order):
        response = client.get("/blocking/orders/?status=in_force")
    assert response.content.decode().count("BO-") >= 5
    csv = client.get("/blocking/orders/?format=csv").getvalue().decode().splitlines()
    assert csv[0] == "reference,kind,status,names,effective_at,ends_at,case" and len(csv) == 6


def test_the_order_page_shows_each_isps_report_beside_its_resolver_check(client, supervisor, make_user, auditor):
    isp = ISPFactory()
    order = order_in_force(proposer=supervisor, approver=make_user("supervisor"))
    for result, age in (("compliant", timedelta(hours=6)), ("non_compliant", timedelta(0))):  # the latest counts
        ComplianceCheck.objects.create(
            isp=isp,
            resolver="192.0.2.53:53",
            name="web.telegram.org",
            expected="blocked",
            result=result,
            serial=1,
            checked_at=timezone.now() - age,
        )
    client.force_login(auditor)
    page = client.get(f"/blocking/orders/{order.pk}/").content.decode()
    assert "web.telegram.org" in page and "in force" in page
    assert '<td class="compliance">non_compliant: 1 </td>' in page
    blocklist = client.get("/blocking/blocklist/").content.decode()
    assert "Blocklist, version 1" in blocklist and "BEGIN PUBLIC KEY" in blocklist


def test_a_supervisor_registers_an_isp_with_its_api_account_and_resolvers(client, supervisor, make_user):
    account = make_user("isp")
    client.force_login(supervisor)
    data = {
        "name": "Telkom",
        "licence_number": "L-1",
        "contact_email": "noc@telkom.example",
        "resolver_addresses": "203.0.113.53\n[2001:db8::53]:5353",
        "accounts": account.username,
        "is_active": "on",
    }
    bad = client.post("/blocking/isps/new/", {**data, "resolver_addresses": "dns.telkom.example"})
    assert "Not an IP address" in bad.content.decode()
    not_isp = client.post("/blocking/isps/new/", {**data, "accounts": supervisor.username})
    assert "is not a user in the ISP role" in not_isp.content.decode()
    assert not ISP.objects.exists()
    assert client.post("/blocking/isps/new/", data).status_code == 302
    isp = ISP.objects.get()
    assert isp.resolvers() == [("203.0.113.53", 53), ("2001:db8::53", 5353)]
    assert account.isp_account.isp == isp
    listing = client.get("/blocking/isps/").content.decode()
    assert "Telkom" in listing and account.username in listing


def test_the_case_timeline_shows_the_order_life(supervisor, make_user):
    case = CaseFactory()
    order = order_in_force(proposer=supervisor, approver=make_user("supervisor"), case=case)
    titles = [event.title for event in sorted(case_events(case), key=lambda e: e.at)]
    assert titles == [
        f"block order {order.reference} drafted",
        f"block order {order.reference} approved",
        f"block order {order.reference} issued and in force",
    ]


def test_the_order_list_shows_one_isps_orders(client, supervisor, make_user):
    """The figures' ISP table links each ISP's orders here."""
    bound, other = ISPFactory(), ISPFactory()
    order = order_in_force(proposer=make_user("supervisor"), approver=make_user("supervisor"))
    client.force_login(supervisor)
    page = client.get(f"/blocking/orders/?isp={bound.pk}").content.decode()
    assert order.reference in page and f'name="isp" value="{bound.pk}"' in page
    assert order.reference not in client.get(f"/blocking/orders/?isp={other.pk + 1000}").content.decode()
    assert client.get("/blocking/orders/?isp=nonsense").status_code == 200
    today = timezone.localdate().isoformat()
    assert order.reference in client.get(f"/blocking/orders/?isp={bound.pk}&issued_after={today}").content.decode()
    later = client.get(f"/blocking/orders/?isp={bound.pk}&issued_after=2999-01-01").content.decode()
    assert order.reference not in later and 'name="issued_after" value="2999-01-01"' in later
    refused = client.get("/blocking/orders/?issued_before=someday").content.decode()
    assert "Not a date (YYYY-MM-DD): someday" in refused
