"""The registry API: nested lists, filters, writes through the services, the one error shape, 403 by role."""

from datetime import date

import pytest

from platforms.models import GovernmentAdvisory, Platform
from tests.factories import PlatformContactFactory, PlatformDomainFactory, PlatformFactory, PlatformHostFactory
from tests.factories_platforms import AdvisoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(make_user):
    return make_user("administrator")


def test_platforms_come_with_hosts_domains_and_contacts(api_client, analyst):
    telegram = PlatformFactory(name="Telegram", url_rules="telegram", home_country="AE")
    PlatformHostFactory(platform=telegram, host="t.me")
    PlatformDomainFactory(platform=telegram, name="telegram.org")
    PlatformContactFactory(platform=telegram, email="abuse@telegram.org")
    PlatformFactory(name="Zoom", home_country="US")
    api_client.force_authenticate(analyst)
    body = api_client.get("/api/v1/platforms/?url_rules=telegram").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["hosts"], row["domains"], row["contacts"][0]["email"]) == (
        ["t.me"],
        ["telegram.org"],
        "abuse@telegram.org",
    )
    assert [p["name"] for p in api_client.get("/api/v1/platforms/?country=us").json()["results"]] == ["Zoom"]
    assert [p["name"] for p in api_client.get("/api/v1/platforms/?q=t.me").json()["results"]] == ["Telegram"]


def test_an_administrator_creates_a_platform_with_hosts_in_one_go(api_client, administrator):
    api_client.force_authenticate(administrator)
    response = api_client.post(
        "/api/v1/platforms/",
        {"name": "Telegram", "home_country": "AE", "hosts": ["T.ME", "telegram.me"], "domains": ["telegram.org"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["hosts"] == ["t.me", "telegram.me"]


def test_a_bad_host_refuses_the_whole_platform_with_the_error_shape(api_client, administrator):
    api_client.force_authenticate(administrator)
    response = api_client.post("/api/v1/platforms/", {"name": "Telegram", "hosts": ["10.0.0.1"]}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "hosts" in error["fields"]
    assert not Platform.objects.exists()


@pytest.mark.parametrize("role", ["analyst", "liaison_officer", "supervisor", "auditor"])
def test_only_administrators_change_platforms(api_client, make_user, role):
    platform = PlatformFactory()
    api_client.force_authenticate(make_user(role))
    assert api_client.get(f"/api/v1/platforms/{platform.pk}/").status_code == 200
    assert api_client.patch(f"/api/v1/platforms/{platform.pk}/", {"notes": "x"}, format="json").status_code == 403
    assert api_client.post("/api/v1/platforms/", {"name": "New"}, format="json").status_code == 403
    response = api_client.post(
        f"/api/v1/platforms/{platform.pk}/trusted-flagger/", {"since": "2017-08-01", "granted_by": "x"}, format="json"
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


def test_isp_accounts_read_nothing_of_the_registry(api_client, make_user):
    api_client.force_authenticate(make_user("isp"))
    for url in ("/api/v1/platforms/", "/api/v1/advisories/", "/api/v1/advisory-reasons/", "/api/v1/platform-contacts/"):
        assert api_client.get(url).status_code == 403


def test_a_liaison_officer_adds_and_deactivates_a_contact(api_client, liaison_officer):
    platform = PlatformFactory()
    api_client.force_authenticate(liaison_officer)
    response = api_client.post(
        "/api/v1/platform-contacts/", {"platform": platform.pk, "role": "abuse", "email": ""}, format="json"
    )
    assert response.status_code == 400 and "email" in response.json()["error"]["fields"]
    response = api_client.post(
        "/api/v1/platform-contacts/",
        {"platform": platform.pk, "role": "abuse", "email": "abuse@x.example"},
        format="json",
    )
    assert response.status_code == 201
    contact_id = response.json()["id"]
    response = api_client.patch(f"/api/v1/platform-contacts/{contact_id}/", {"is_active": False}, format="json")
    assert response.json()["is_active"] is False


def test_a_supervisor_adds_contacts_as_a_liaison_officer_may_but_an_analyst_not(api_client, supervisor, analyst):
    body = {"platform": PlatformFactory().pk, "role": "abuse", "email": "a@x.example"}
    api_client.force_authenticate(analyst)
    assert api_client.post("/api/v1/platform-contacts/", body).status_code == 403
    api_client.force_authenticate(supervisor)  # README: a supervisor may all a liaison officer may
    assert api_client.post("/api/v1/platform-contacts/", body).status_code == 201


def test_advisory_filters(api_client, analyst):
    zoom, whatsapp = PlatformFactory(name="Zoom"), PlatformFactory(name="WhatsApp")
    AdvisoryFactory(platforms=[zoom], country="ID", issued_on=date(2020, 4, 1), reasons=["intrusion"])
    AdvisoryFactory(
        platforms=[whatsapp, zoom], country="FR", issued_on=date(2023, 12, 8), measure="warned",
        status="lifted", lifted_on=date(2024, 1, 1),
    )  # fmt: skip
    api_client.force_authenticate(analyst)

    def countries(query):
        return [a["country"] for a in api_client.get(f"/api/v1/advisories/?{query}").json()["results"]]

    assert countries("country=id") == ["ID"]
    assert countries("measure=warned") == ["FR"]
    assert countries("status=in_force") == ["ID"]
    assert countries("reason=intrusion") == ["ID"]
    assert countries(f"platform={zoom.pk}") == ["FR", "ID"]  # listed once each, newest first
    assert countries("issued_after=2021-01-01&issued_before=2024-01-01") == ["FR"]


def test_a_supervisor_records_and_lifts_an_advisory(api_client, supervisor):
    zoom = PlatformFactory(name="Zoom")
    api_client.force_authenticate(supervisor)
    response = api_client.post(
        "/api/v1/advisories/",
        {
            "authority": "Ministry of Defence", "country": "ID", "reference": "SE/57/IV/2020",
            "issued_on": "2020-04-01", "scope": "all personnel", "measure": "prohibited",
            "platforms": [zoom.pk], "reasons": ["data-leakage"],
        },
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    advisory_id = response.json()["id"]
    assert response.json()["reasons"] == ["data-leakage"] and response.json()["recorded_by"] == supervisor.username
    response = api_client.post(
        f"/api/v1/advisories/{advisory_id}/lift/", {"lifted_on": "2020-03-01", "reason": "x"}, format="json"
    )
    assert response.status_code == 400 and "lifted_on" in response.json()["error"]["fields"]
    response = api_client.post(
        f"/api/v1/advisories/{advisory_id}/lift/", {"lifted_on": "2021-03-01", "reason": "withdrawn"}, format="json"
    )
    assert response.json()["status"] == "lifted"


def test_an_unknown_country_is_named_in_the_api_error(api_client, supervisor):
    api_client.force_authenticate(supervisor)
    response = api_client.post(
        "/api/v1/advisories/",
        {"authority": "X", "country": "ZZ", "issued_on": "2020-04-01", "scope": "staff", "measure": "warned",
         "platforms": [PlatformFactory().pk]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["country"] == ["ZZ: not an ISO 3166 country code"]
    assert not GovernmentAdvisory.objects.exists()


@pytest.mark.parametrize("role", ["analyst", "auditor"])
def test_readers_may_not_record_or_lift_advisories(api_client, make_user, role):
    advisory = AdvisoryFactory(platforms=[PlatformFactory()])
    api_client.force_authenticate(make_user(role))
    assert api_client.get("/api/v1/advisories/").status_code == 200
    assert api_client.post("/api/v1/advisories/", {"authority": "X"}, format="json").status_code == 403
    response = api_client.post(
        f"/api/v1/advisories/{advisory.pk}/lift/", {"lifted_on": "2021-01-01", "reason": "x"}, format="json"
    )
    assert response.status_code == 403


def test_the_reasons_list_is_the_seeded_one(api_client, analyst):
    api_client.force_authenticate(analyst)
    slugs = {reason["slug"] for reason in api_client.get("/api/v1/advisory-reasons/").json()}
    assert {"data-routed-abroad", "data-leakage", "intrusion", "spyware"} <= slugs


@pytest.mark.parametrize("count", [2, 12])
def test_the_platform_api_runs_the_same_queries_however_many_rows(
    api_client, analyst, django_assert_num_queries, count
):
    for _ in range(count):
        platform = PlatformFactory()
        PlatformHostFactory(platform=platform)
        PlatformContactFactory(platform=platform)
    api_client.force_authenticate(analyst)
    # Its page statement is prepared once per database session, and the caller's permissions read once.
    api_client.get("/api/v1/platforms/")
    # The page, and the hosts, domains and contacts of its platforms (one query each).
    with django_assert_num_queries(4):
        assert len(api_client.get("/api/v1/platforms/").json()["results"]) == count
