"""The registry's services: each bad field named, nothing half-saved, every change audited."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from platforms import services
from platforms.models import GovernmentAdvisory, Platform, PlatformContact, PlatformHost
from tests.factories import PlatformContactFactory, PlatformFactory, PlatformHostFactory
from tracker.core import audit
from tracker.core.errors import DomainError, NotPermitted, TransitionNotAllowed
from tracker.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(make_user):
    return make_user("administrator")


def advisory_fields(**overrides):
    fields = {
        "authority": "Ministry of Defence",
        "country": "ID",
        "reference": "SE/57/IV/2020",
        "issued_on": date(2020, 4, 1),
        "scope": "all personnel",
        "measure": GovernmentAdvisory.Measure.PROHIBITED,
    }
    return {**fields, **overrides}


def test_registering_a_platform_writes_a_creation_entry(administrator):
    platform = services.save_platform(actor=administrator, name="Telegram", home_country="AE")
    assert platform.slug == "telegram"
    entry = audit.history(platform).get()
    assert entry.action == AuditEntry.Action.CREATE and entry.actor == administrator
    assert entry.changes["home_country"] == [None, "AE"]


def test_a_change_records_before_and_after(administrator):
    platform = PlatformFactory(name="Telegram", has_government_channel=False)
    services.save_platform(actor=administrator, platform=platform, has_government_channel=True, reason="agreement")
    entry = audit.history(platform).get()
    assert entry.action == AuditEntry.Action.CHANGE
    assert entry.changes == {"has_government_channel": [False, True]} and entry.reason == "agreement"


def test_saving_without_a_change_writes_no_entry(administrator):
    platform = PlatformFactory(name="Zoom")
    services.save_platform(actor=administrator, platform=platform, name="Zoom")
    assert not audit.history(platform).exists()


@pytest.mark.parametrize("code", ["ae", "XX", "ARE"])
def test_an_unknown_or_lower_case_country_code_is_refused_by_name(administrator, code):
    with pytest.raises(DomainError) as caught:
        services.save_platform(actor=administrator, name="Telegram", home_country=code)
    assert "home_country" in caught.value.fields
    assert not Platform.objects.exists()


def test_a_duplicate_platform_name_is_refused_by_name(administrator):
    PlatformFactory(name="Telegram", slug="telegram")
    with pytest.raises(DomainError) as caught:
        services.save_platform(actor=administrator, name="Telegram", slug="telegram-2")
    assert "name" in caught.value.fields


def test_an_analyst_may_not_register_a_platform(analyst):
    with pytest.raises(NotPermitted):
        services.save_platform(actor=analyst, name="Telegram")
    assert not Platform.objects.exists()


def test_hosts_are_stored_normalised_and_duplicates_merged(administrator):
    platform = PlatformFactory()
    hosts = services.set_platform_hosts(actor=administrator, platform=platform, hosts=["T.ME.", "t.me", "bücher.de"])
    assert hosts == ["t.me", "xn--bcher-kva.de"]
    assert sorted(platform.hosts.values_list("host", flat=True)) == hosts
    assert audit.history(platform).get().changes == {"hosts": [[], hosts]}


def test_a_host_cannot_belong_to_two_platforms(administrator):
    PlatformHostFactory(host="t.me", platform=PlatformFactory(name="Telegram"))
    other = PlatformFactory(name="Copycat")
    with pytest.raises(DomainError) as caught:
        services.set_platform_hosts(actor=administrator, platform=other, hosts=["telegram.dog", "T.me"])
    assert caught.value.fields["hosts"] == ["t.me already belongs to Telegram"]
    assert not other.hosts.exists()  # telegram.dog was not saved either


def test_an_ip_host_is_refused_naming_its_line(administrator):
    platform = PlatformFactory()
    with pytest.raises(DomainError) as caught:
        services.set_platform_hosts(actor=administrator, platform=platform, hosts=["t.me", "149.154.167.99"])
    assert caught.value.fields["hosts"][0].startswith("line 2: ")
    assert "IP address" in caught.value.fields["hosts"][0]
    assert not PlatformHost.objects.exists()


def test_replacing_hosts_removes_those_left_out(administrator):
    platform = PlatformFactory()
    services.set_platform_hosts(actor=administrator, platform=platform, hosts=["t.me", "telegram.me"])
    services.set_platform_hosts(actor=administrator, platform=platform, hosts=["t.me", "telegram.dog"])
    assert sorted(platform.hosts.values_list("host", flat=True)) == ["t.me", "telegram.dog"]


def test_owned_dns_names_are_validated_as_a_block_order_would(administrator):
    platform = PlatformFactory()
    with pytest.raises(DomainError) as caught:
        services.set_platform_domains(actor=administrator, platform=platform, names="telegram.org\nco.id")
    assert caught.value.fields["names"][0].startswith("line 2: co.id")
    assert not platform.domains.exists()


def test_owned_dns_names_are_saved_and_audited(administrator):
    platform = PlatformFactory()
    services.set_platform_domains(actor=administrator, platform=platform, names="Telegram.org\nweb.telegram.org")
    assert list(platform.domains.values_list("name", flat=True)) == ["telegram.org", "web.telegram.org"]
    assert audit.history(platform).get().changes["domains"][1] == ["telegram.org", "web.telegram.org"]


def test_trusted_flagger_status_records_when_and_who(administrator):
    platform = PlatformFactory()
    services.grant_trusted_flagger(
        actor=administrator, platform=platform, since=date(2017, 8, 1), granted_by="Telegram legal team"
    )
    platform.refresh_from_db()
    assert platform.trusted_flagger_since == date(2017, 8, 1)
    assert audit.history(platform).get().changes["trusted_flagger_granted_by"] == ["", "Telegram legal team"]


def test_trusted_flagger_status_needs_who_granted_it(administrator):
    with pytest.raises(DomainError) as caught:
        services.grant_trusted_flagger(
            actor=administrator,
            platform=PlatformFactory(),
            since=timezone.localdate() + timedelta(days=1),
            granted_by="",
        )
    assert set(caught.value.fields) == {"since", "granted_by"}


def test_a_contact_without_email_is_refused_by_name(liaison_officer):
    with pytest.raises(DomainError) as caught:
        services.save_contact(actor=liaison_officer, platform=PlatformFactory(), role="abuse", email="")
    assert "email" in caught.value.fields
    assert not PlatformContact.objects.exists()


def test_a_liaison_officer_adds_and_deactivates_a_contact(liaison_officer):
    contact = services.save_contact(
        actor=liaison_officer, platform=PlatformFactory(), role="abuse", email="Abuse@Telegram.org"
    )
    assert contact.email == "abuse@telegram.org"
    services.deactivate_contact(actor=liaison_officer, contact=contact, reason="bounced")
    contact.refresh_from_db()
    assert not contact.is_active
    actions = list(audit.history(contact).order_by("id").values_list("action", "to_state"))
    assert actions == [(AuditEntry.Action.CREATE, ""), (AuditEntry.Action.TRANSITION, "inactive")]


def test_the_same_active_address_twice_in_one_role_is_refused(liaison_officer):
    existing = PlatformContactFactory(email="abuse@telegram.org")
    with pytest.raises(DomainError) as caught:
        services.save_contact(
            actor=liaison_officer, platform=existing.platform, role="abuse", email="abuse@telegram.org"
        )
    assert "email" in caught.value.fields


def test_an_analyst_may_not_change_contacts_but_a_supervisor_may(analyst, supervisor):
    with pytest.raises(NotPermitted):
        services.save_contact(actor=analyst, platform=PlatformFactory(), role="abuse", email="a@b.example")
    contact = services.save_contact(actor=supervisor, platform=PlatformFactory(), role="abuse", email="a@b.example")
    assert contact.email == "a@b.example"


def test_an_advisory_is_recorded_with_its_platforms_and_reasons_audited(supervisor):
    zoom = PlatformFactory(name="Zoom")
    advisory = services.record_advisory(
        actor=supervisor, platforms=[zoom], reasons=["data-leakage", "intrusion"], **advisory_fields()
    )
    assert advisory.recorded_by == supervisor and list(advisory.platforms.all()) == [zoom]
    entry = audit.history(advisory).get()
    assert entry.changes["platforms"] == [None, ["Zoom"]]
    assert entry.changes["reasons"] == [None, ["data-leakage", "intrusion"]]


def test_an_advisory_with_a_bad_country_and_unknown_reason_names_both(supervisor):
    with pytest.raises(DomainError) as caught:
        services.record_advisory(
            actor=supervisor, platforms=[PlatformFactory()], reasons=["nonsense"], **advisory_fields(country="id")
        )
    assert {"country", "reasons"} <= set(caught.value.fields)
    assert not GovernmentAdvisory.objects.exists()


def test_an_advisory_naming_no_platform_needs_notes(supervisor):
    with pytest.raises(DomainError) as caught:
        services.record_advisory(actor=supervisor, platforms=[], reasons=[], **advisory_fields())
    assert "platforms" in caught.value.fields
    advisory = services.record_advisory(
        actor=supervisor, platforms=[], reasons=["spyware"], **advisory_fields(notes="forty-two apps, unnamed")
    )
    assert advisory.pk


def test_correcting_an_advisory_records_the_platform_change(supervisor):
    zoom, tiktok = PlatformFactory(name="Zoom"), PlatformFactory(name="TikTok")
    advisory = services.record_advisory(actor=supervisor, platforms=[zoom], reasons=[], **advisory_fields())
    services.record_advisory(actor=supervisor, advisory=advisory, platforms=[zoom, tiktok], scope="all staff")
    change = audit.history(advisory).get(action=AuditEntry.Action.CHANGE)
    assert change.changes == {"scope": ["all personnel", "all staff"], "platforms": [["Zoom"], ["TikTok", "Zoom"]]}


def test_lifting_before_issue_is_refused_by_name(supervisor):
    advisory = services.record_advisory(actor=supervisor, platforms=[PlatformFactory()], **advisory_fields())
    with pytest.raises(DomainError) as caught:
        services.lift_advisory(actor=supervisor, advisory=advisory, lifted_on=date(2020, 3, 1), reason="withdrawn")
    assert "lifted_on" in caught.value.fields
    advisory.refresh_from_db()
    assert advisory.status == GovernmentAdvisory.Status.IN_FORCE


def test_lifting_is_a_transition_and_happens_once(supervisor):
    advisory = services.record_advisory(actor=supervisor, platforms=[PlatformFactory()], **advisory_fields())
    services.lift_advisory(actor=supervisor, advisory=advisory, lifted_on=date(2021, 1, 5), reason="circular withdrawn")
    advisory.refresh_from_db()
    assert advisory.status == GovernmentAdvisory.Status.LIFTED and advisory.lifted_on == date(2021, 1, 5)
    entry = audit.history(advisory).get(action=AuditEntry.Action.TRANSITION)
    assert (entry.from_state, entry.to_state, entry.reason) == ("in_force", "lifted", "circular withdrawn")
    with pytest.raises(TransitionNotAllowed):
        services.lift_advisory(actor=supervisor, advisory=advisory, lifted_on=date(2021, 1, 6), reason="again")


def test_an_analyst_may_not_record_an_advisory(analyst):
    with pytest.raises(NotPermitted):
        services.record_advisory(actor=analyst, platforms=[PlatformFactory()], **advisory_fields())


def test_the_auditor_changes_nothing(auditor):
    platform = PlatformFactory()
    for call in (
        lambda: services.save_platform(actor=auditor, platform=platform, notes="x"),
        lambda: services.set_platform_hosts(actor=auditor, platform=platform, hosts=["t.me"]),
        lambda: services.save_contact(actor=auditor, platform=platform, role="abuse", email="a@b.example"),
        lambda: services.record_advisory(actor=auditor, platforms=[platform], **advisory_fields()),
    ):
        with pytest.raises(NotPermitted):
            call()
    assert not AuditEntry.objects.exists()
