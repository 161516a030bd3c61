"""The ISP registry through the API: administrators (and supervisors, as on the ISP pages) register ISPs, change
them, link and unlink their API accounts (users in the ISP role, invited through /api/v1/users/invite/) and set
the resolvers compliance checks query; the staff who read the ISP pages read them; unknown fields are refused."""

import pytest

from blocking.models import ISP, ISPAccount
from tests.factories_blocking import ISPFactory, isp_user
from tracker.core.models import AuditEntry, User

pytestmark = pytest.mark.django_db

TELKOM = {
    "name": "Telkom Indonesia",
    "licence_number": "ISP-001",
    "contact_name": "NOC",
    "contact_email": "noc@telkom.example",
    "resolvers": ["192.0.2.53", "[2001:db8::53]:5353"],
}


@pytest.fixture
def admin_client(api_client, administrator):
    api_client.force_authenticate(administrator)
    return api_client


def test_an_administrator_registers_an_isp_with_its_resolvers(admin_client, administrator):
    made = admin_client.post("/api/v1/isps/", TELKOM, format="json")
    assert made.status_code == 201, made.content
    isp = ISP.objects.get()
    assert made.json() == {
        "id": isp.pk,
        "name": "Telkom Indonesia",
        "licence_number": "ISP-001",
        "contact_name": "NOC",
        "contact_email": "noc@telkom.example",
        "contact_phone": "",
        "resolvers": ["192.0.2.53", "[2001:db8::53]:5353"],
        "transfer_addresses": [],
        "is_active": True,
        "accounts": [],
        "compliance": {},
    }
    assert isp.resolvers() == [("192.0.2.53", 53), ("2001:db8::53", 5353)]
    entry = AuditEntry.objects.get(object_id=str(isp.pk), content_type__model="isp")
    assert (entry.actor, entry.action) == (administrator, AuditEntry.Action.CREATE)


def test_a_bad_isp_is_refused_by_field(admin_client):
    ISPFactory(name="Telkom Indonesia")
    taken = admin_client.post("/api/v1/isps/", {**TELKOM, "licence_number": "ISP-002"}, format="json")
    assert taken.status_code == 400 and "name" in taken.json()["error"]["fields"]
    bad_resolver = admin_client.post(
        "/api/v1/isps/", {**TELKOM, "name": "Indosat", "resolvers": ["dns.example"]}, format="json"
    )
    assert bad_resolver.status_code == 400
    assert bad_resolver.json()["error"]["fields"]["resolvers"] == [
        "Not an IP address (with optional :port): dns.example"
    ]
    unknown = admin_client.post("/api/v1/isps/", {**TELKOM, "name": "Indosat", "accounts": ["x"]}, format="json")
    assert unknown.status_code == 400 and "accounts" in unknown.json()["error"]["fields"]
    missing = admin_client.post("/api/v1/isps/", {"name": "Indosat"}, format="json")
    assert set(missing.json()["error"]["fields"]) == {"licence_number", "contact_email"}
    assert ISP.objects.count() == 1


def test_an_administrator_changes_an_isp_and_the_change_is_audited(admin_client, administrator):
    isp = ISPFactory(name="Telkom", contact_phone="")
    changed = admin_client.patch(f"/api/v1/isps/{isp.pk}/", {"contact_phone": "+62 21 000", "is_active": False})
    assert changed.status_code == 200, changed.content
    assert changed.json()["contact_phone"] == "+62 21 000" and changed.json()["is_active"] is False
    isp.refresh_from_db()
    assert isp.contact_phone == "+62 21 000" and isp.name == "Telkom"
    entry = AuditEntry.objects.get(content_type__model="isp", object_id=str(isp.pk), action=AuditEntry.Action.CHANGE)
    assert entry.changes["contact_phone"] == ["", "+62 21 000"] and entry.actor == administrator
    refused = admin_client.patch(f"/api/v1/isps/{isp.pk}/", {"licence": "x"}, format="json")
    assert refused.status_code == 400 and "licence" in refused.json()["error"]["fields"]


def test_resolvers_are_read_parsed_and_replaced_whole(admin_client):
    isp = ISPFactory(resolver_addresses="192.0.2.53\n")
    shown = admin_client.get(f"/api/v1/isps/{isp.pk}/resolvers/").json()
    assert shown == {"resolvers": [{"address": "192.0.2.53", "host": "192.0.2.53", "port": 53}]}
    replaced = admin_client.put(
        f"/api/v1/isps/{isp.pk}/resolvers/", {"resolvers": ["198.51.100.1:5353", "2001:db8::1"]}, format="json"
    )
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["resolvers"] == [
        {"address": "198.51.100.1:5353", "host": "198.51.100.1", "port": 5353},
        {"address": "2001:db8::1", "host": "2001:db8::1", "port": 53},
    ]
    isp.refresh_from_db()
    assert isp.resolvers() == [("198.51.100.1", 5353), ("2001:db8::1", 53)]
    bad = admin_client.put(f"/api/v1/isps/{isp.pk}/resolvers/", {"resolvers": ["198.51.100.1:99999"]}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["resolvers"]
    cleared = admin_client.put(f"/api/v1/isps/{isp.pk}/resolvers/", {"resolvers": []}, format="json")
    assert cleared.json() == {"resolvers": []}


def test_an_administrator_links_and_unlinks_an_isp_account(admin_client, make_user):
    isp = ISPFactory()
    user = make_user("isp", username="telkom-noc")
    linked = admin_client.post(f"/api/v1/isps/{isp.pk}/link-account/", {"username": "telkom-noc"}, format="json")
    assert linked.status_code == 200, linked.content
    assert linked.json()["accounts"] == [{"id": user.pk, "username": "telkom-noc", "is_active": True}]
    assert ISPAccount.objects.get().user == user
    again = admin_client.post(f"/api/v1/isps/{isp.pk}/link-account/", {"username": "telkom-noc"}, format="json")
    assert again.status_code == 200 and ISPAccount.objects.count() == 1
    audited = AuditEntry.objects.filter(
        content_type__model="isp", object_id=str(isp.pk), action=AuditEntry.Action.CHANGE
    )
    assert [entry.changes["api_accounts"] for entry in audited] == [[[], ["telkom-noc"]]]
    unlinked = admin_client.post(f"/api/v1/isps/{isp.pk}/unlink-account/", {"username": "telkom-noc"}, format="json")
    assert unlinked.status_code == 200 and unlinked.json()["accounts"] == []
    assert not ISPAccount.objects.exists()
    not_linked = admin_client.post(f"/api/v1/isps/{isp.pk}/unlink-account/", {"username": "telkom-noc"}, format="json")
    assert not_linked.status_code == 400 and not_linked.json()["error"]["fields"]["username"]


def test_only_users_in_the_isp_role_not_reporting_elsewhere_are_linked(admin_client, make_user):
    isp, other = ISPFactory(), ISPFactory()
    make_user("analyst", username="an-analyst")
    elsewhere = isp_user(other)
    url = f"/api/v1/isps/{isp.pk}/link-account/"
    for username in ("an-analyst", elsewhere.username, "nobody"):
        refused = admin_client.post(url, {"username": username}, format="json")
        assert refused.status_code == 400 and refused.json()["error"]["fields"]["username"], username
    assert not isp.accounts.exists()


def test_a_supervisor_keeps_the_registry_as_on_the_isp_pages(api_client, supervisor):
    api_client.force_authenticate(supervisor)
    assert api_client.post("/api/v1/isps/", TELKOM, format="json").status_code == 201


@pytest.mark.parametrize("role", ["liaison_officer", "auditor"])
def test_staff_who_read_the_isp_pages_read_the_registry_and_change_nothing(api_client, make_user, role):
    isp = ISPFactory(resolver_addresses="192.0.2.53")
    isp_user(isp)
    api_client.force_authenticate(make_user(role))
    assert api_client.get("/api/v1/isps/").json()["results"][0]["name"] == isp.name
    assert api_client.get(f"/api/v1/isps/{isp.pk}/").status_code == 200
    assert api_client.get(f"/api/v1/isps/{isp.pk}/resolvers/").status_code == 200
    assert api_client.post("/api/v1/isps/", TELKOM, format="json").status_code == 403
    assert api_client.patch(f"/api/v1/isps/{isp.pk}/", {"name": "x"}, format="json").status_code == 403
    assert api_client.put(f"/api/v1/isps/{isp.pk}/resolvers/", {"resolvers": []}, format="json").status_code == 403
    assert api_client.post(f"/api/v1/isps/{isp.pk}/unlink-account/", {"username": "x"}).status_code == 403
    assert api_client.post(f"/api/v1/isps/{isp.pk}/check/").status_code == 403
    assert ISP.objects.get().resolver_addresses == "192.0.2.53"


@pytest.mark.parametrize("role", ["analyst", "isp"])
def test_analysts_and_isp_accounts_do_not_read_the_registry(api_client, make_user, role):
    isp = ISPFactory()
    api_client.force_authenticate(isp_user(isp) if role == "isp" else make_user(role))
    assert api_client.get("/api/v1/isps/").status_code == 403
    assert api_client.get(f"/api/v1/isps/{isp.pk}/").status_code == 403


def test_checking_an_isp_now_queues_its_compliance_check(admin_client, monkeypatch, django_capture_on_commit_callbacks):
    isp = ISPFactory(resolver_addresses="192.0.2.53")
    queued = []
    monkeypatch.setattr("blocking.tasks.check_compliance.delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client.post(f"/api/v1/isps/{isp.pk}/check/")
    assert answer.status_code == 202
    assert answer.json() == {"queued": [isp.pk]}
    assert queued == [isp.pk]


def test_an_isp_without_resolvers_has_nothing_to_check(admin_client, monkeypatch):
    isp = ISPFactory(resolver_addresses="")
    monkeypatch.setattr("blocking.tasks.check_compliance.delay", lambda *args: pytest.fail("queued"))
    answer = admin_client.post(f"/api/v1/isps/{isp.pk}/check/")
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "nothing_to_check"


def test_the_isp_list_costs_the_same_queries_for_more_isps(
    admin_client, django_assert_num_queries, django_assert_max_num_queries
):
    isp_user(ISPFactory(resolver_addresses="192.0.2.53"))
    admin_client.get("/api/v1/isps/")  # the caller's permissions are read once, then cached on the user
    with django_assert_max_num_queries(10) as small:
        admin_client.get("/api/v1/isps/")
    for _ in range(5):
        isp_user(ISPFactory(resolver_addresses="192.0.2.53"))
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(admin_client.get("/api/v1/isps/").json()["results"]) == 6


def test_an_invited_username_follows_the_account_rule(admin_client):
    """Found by the schema fuzzing: a name with a space was taken, though the response's schema forbids it."""
    response = admin_client.post("/api/v1/users/invite/", {"username": "Flagged items", "role": "isp"}, format="json")
    assert response.status_code == 400
    assert "username" in response.json()["error"]["fields"]
    assert not User.objects.filter(username="Flagged items").exists()
