"""The registry's pages: lists with flat query counts, filters, CSV, edit forms only for those allowed."""

from datetime import date

import pytest

from platforms import services
from platforms.models import GovernmentAdvisory, PlatformContact, PlatformHost
from tests.factories import (
    CaseFactory,
    PlatformContactFactory,
    PlatformDomainFactory,
    PlatformFactory,
    PlatformHostFactory,
)
from tests.factories_platforms import AdvisoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(make_user):
    return make_user("administrator")


def platforms_with_everything(count: int):
    for _ in range(count):
        platform = PlatformFactory()
        PlatformHostFactory(platform=platform)
        PlatformDomainFactory(platform=platform)
        PlatformDomainFactory(platform=platform)
        PlatformContactFactory(platform=platform)
        CaseFactory(platform=platform)
        AdvisoryFactory(platforms=[platform])


def test_the_platform_list_shows_counts(client, analyst):
    platform = PlatformFactory(name="Telegram", trusted_flagger_since=date(2017, 8, 1))
    PlatformHostFactory(platform=platform, host="t.me")
    PlatformDomainFactory(platform=platform, name="telegram.org")
    PlatformDomainFactory(platform=platform, name="web.telegram.org")
    AdvisoryFactory(platforms=[platform])
    AdvisoryFactory(platforms=[platform], status=GovernmentAdvisory.Status.LIFTED, lifted_on=date(2021, 1, 1))
    client.force_login(analyst)
    response = client.get("/platforms/")
    row = response.context["page"].object_list[0]
    assert (row.host_count, row.domain_count, row.case_count, row.advisories_in_force) == (1, 2, 0, 1)
    assert "trusted flagger" in response.content.decode()


@pytest.mark.parametrize("count", [2, 12])
def test_the_platform_list_runs_the_same_queries_however_many_rows(client, analyst, django_assert_num_queries, count):
    platforms_with_everything(count)
    client.force_login(analyst)
    client.get("/platforms/")  # warm the session and permission caches
    with django_assert_num_queries(5):  # session, person and permissions, unread count, 2 for the page
        response = client.get("/platforms/")
    assert len(response.context["page"].object_list) == count


@pytest.mark.parametrize("count", [2, 12])
def test_the_advisory_list_runs_the_same_queries_however_many_rows(client, analyst, django_assert_num_queries, count):
    platforms_with_everything(count)
    client.force_login(analyst)
    client.get("/platforms/advisories/")
    with django_assert_num_queries(9):  # session, person and permissions, unread count, 6 for the page
        response = client.get("/platforms/advisories/")
    assert len(response.context["page"].object_list) == count


def test_the_platform_list_filters_by_text_host_and_country(client, analyst):
    telegram = PlatformFactory(name="Telegram", home_country="AE")
    PlatformHostFactory(platform=telegram, host="t.me")
    PlatformFactory(name="Threema", home_country="CH")
    client.force_login(analyst)
    names = lambda query: [p.name for p in client.get(f"/platforms/?{query}").context["page"]]  # noqa: E731
    assert names("q=t.me") == ["Telegram"]
    assert names("country=CH") == ["Threema"]
    assert names("q=three") == ["Threema"]


def test_the_platform_list_exports_csv(client, analyst):
    PlatformFactory(name="Telegram", operator_legal_name="Telegram FZ-LLC", home_country="AE")
    client.force_login(analyst)
    response = client.get("/platforms/?format=csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("name,operator,country")
    assert lines[1].startswith("Telegram,Telegram FZ-LLC,AE,")


def test_the_advisory_list_filters_and_exports(client, analyst):
    zoom, whatsapp = PlatformFactory(name="Zoom"), PlatformFactory(name="WhatsApp")
    AdvisoryFactory(platforms=[zoom], country="ID", issued_on=date(2020, 4, 1), reasons=["intrusion", "data-leakage"])
    AdvisoryFactory(platforms=[whatsapp], country="FR", issued_on=date(2023, 12, 8), measure="restricted")
    client.force_login(analyst)
    countries = lambda query: [a.country for a in client.get(f"/platforms/advisories/?{query}").context["page"]]  # noqa: E731
    assert countries("country=ID") == ["ID"]
    assert countries("measure=restricted") == ["FR"]
    assert countries("reason=intrusion") == ["ID"]
    assert countries(f"platform={whatsapp.pk}") == ["FR"]
    assert countries("issued_after=2021-01-01") == ["FR"]
    assert countries("issued_before=2021-01-01") == ["ID"]
    assert countries("status=lifted") == []
    response = client.get("/platforms/advisories/?country=ID&format=csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 2 and lines[1].startswith("2020-04-01,ID,")
    assert "data-leakage; intrusion" in lines[1]


def test_the_platform_page_shows_contacts_cases_advisories_and_history(client, liaison_officer, administrator):
    platform = services.save_platform(actor=administrator, name="Telegram", home_country="AE")
    services.save_contact(actor=liaison_officer, platform=platform, role="abuse", email="abuse@telegram.org")
    CaseFactory(platform=platform, title="Radical channels 2017")
    AdvisoryFactory(platforms=[platform], authority="Ministry of Defence")
    client.force_login(liaison_officer)
    page = client.get(f"/platforms/{platform.pk}/").content.decode()
    for text in ("abuse@telegram.org", "Radical channels 2017", "Ministry of Defence", "United Arab Emirates"):
        assert text in page
    history = client.get(f"/platforms/{platform.pk}/").context["history"]
    assert [entry.actor_label for entry in history] == [liaison_officer.username, administrator.username]
    assert "Add a contact" in page and "Edit details" not in page


def test_an_administrator_edits_hosts_and_names_together_or_not_at_all(client, administrator):
    platform = PlatformFactory()
    client.force_login(administrator)
    response = client.post(
        f"/platforms/{platform.pk}/names/", {"hosts": "T.me\ntelegram.me", "names": "t.me\nhttp://x"}
    )
    assert response.status_code == 200
    assert "line 2: http://x" in response.content.decode()
    assert not PlatformHost.objects.exists()  # the good hosts were not saved either
    response = client.post(f"/platforms/{platform.pk}/names/", {"hosts": "T.me\ntelegram.me", "names": "telegram.org"})
    assert response.status_code == 302
    assert sorted(platform.hosts.values_list("host", flat=True)) == ["t.me", "telegram.me"]


def test_a_bad_country_is_shown_on_the_platform_form(client, administrator):
    client.force_login(administrator)
    response = client.post(
        "/platforms/new/", {"name": "Telegram", "home_country": "XX", "language": "en", "url_rules": "telegram"}
    )
    assert response.status_code == 200
    assert "XX: not an ISO 3166 country code" in response.content.decode()


def test_a_liaison_officer_adds_a_contact_and_records_an_advisory(client, liaison_officer):
    platform = PlatformFactory(name="Zoom")
    client.force_login(liaison_officer)
    response = client.post(
        f"/platforms/{platform.pk}/contacts/new/", {"role": "legal", "email": "legal@zoom.example", "name": ""}
    )
    assert response.status_code == 302
    assert PlatformContact.objects.get().email == "legal@zoom.example"
    response = client.post(
        "/platforms/advisories/new/",
        {
            "authority": "Ministry of Defence", "country": "ID", "issued_on": "2020-04-01", "scope": "personnel",
            "measure": "prohibited", "platforms": [platform.pk], "reasons": [],
        },
    )  # fmt: skip
    advisory = GovernmentAdvisory.objects.get()
    assert response.url == f"/platforms/advisories/{advisory.pk}/"
    response = client.post(f"/platforms/advisories/{advisory.pk}/lift/", {"lifted_on": "2019-01-01", "reason": "x"})
    advisory.refresh_from_db()
    assert advisory.status == "in_force"  # lifted before issued: refused


@pytest.mark.parametrize(
    ("role", "url_suffix"),
    [
        ("analyst", "edit/"),
        ("analyst", "names/"),
        ("analyst", "contacts/new/"),
        ("liaison_officer", "edit/"),
        ("liaison_officer", "names/"),
        ("auditor", "edit/"),
        ("auditor", "contacts/new/"),
    ],
)
def test_edit_forms_are_refused_to_roles_without_the_permission(client, make_user, role, url_suffix):
    platform = PlatformFactory()
    client.force_login(make_user(role))
    assert client.get(f"/platforms/{platform.pk}/{url_suffix}").status_code == 403
    assert client.post(f"/platforms/{platform.pk}/{url_suffix}", {"name": "x"}).status_code == 403


@pytest.mark.parametrize("role", ["analyst", "auditor"])
def test_advisory_writes_are_refused_to_readers(client, make_user, role):
    advisory = AdvisoryFactory(platforms=[PlatformFactory()])
    client.force_login(make_user(role))
    assert client.get("/platforms/advisories/new/").status_code == 403
    assert client.get(f"/platforms/advisories/{advisory.pk}/edit/").status_code == 403
    assert client.post(f"/platforms/advisories/{advisory.pk}/lift/", {"lifted_on": "2021-01-01"}).status_code == 403
    assert client.get(f"/platforms/advisories/{advisory.pk}/").status_code == 200


def test_isp_accounts_see_no_registry_page(client, make_user):
    client.force_login(make_user("isp"))
    assert client.get("/platforms/").status_code == 403
    assert client.get("/platforms/advisories/").status_code == 403


def test_the_auditor_reads_every_page(client, auditor):
    platform = PlatformFactory()
    advisory = AdvisoryFactory(platforms=[platform])
    client.force_login(auditor)
    for url in (
        "/platforms/",
        f"/platforms/{platform.pk}/",
        "/platforms/advisories/",
        f"/platforms/advisories/{advisory.pk}/",
    ):
        assert client.get(url).status_code == 200
