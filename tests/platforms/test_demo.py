"""The demo registry: real platforms and DOMAIN.md's advisories, loaded twice without duplicates."""

import io

import pytest
from django.core.management import call_command

from platforms import demo
from platforms.demo import TELEGRAM_NAMES
from platforms.models import GovernmentAdvisory, Platform, PlatformContact, PlatformHost
from tracker.core import audit
from tracker.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_the_demo_loads_twice_without_duplicates():
    demo.load(io.StringIO())
    counts = (Platform.objects.count(), PlatformHost.objects.count(), GovernmentAdvisory.objects.count())
    entries = AuditEntry.objects.count()
    demo.load(io.StringIO())
    assert (Platform.objects.count(), PlatformHost.objects.count(), GovernmentAdvisory.objects.count()) == counts
    assert AuditEntry.objects.count() == entries


def test_telegram_is_registered_as_in_2017_then_with_its_government_channel():
    demo.load(io.StringIO())
    telegram = Platform.objects.get(name="Telegram")
    assert (telegram.operator_legal_name, telegram.home_country, telegram.url_rules) == (
        "Telegram FZ-LLC",
        "AE",
        "telegram",
    )
    assert sorted(telegram.hosts.values_list("host", flat=True)) == [
        "t.me",
        "telegram.dog",
        "telegram.me",
        "telegram.org",
    ]
    assert sorted(telegram.domains.values_list("name", flat=True)) == sorted(TELEGRAM_NAMES)
    assert set(telegram.contacts.values_list("role", "email")) == {
        (PlatformContact.Role.ABUSE, "abuse@telegram.org"),
        (PlatformContact.Role.LEGAL, "dmca@telegram.org"),
    }
    assert telegram.has_government_channel
    change = (
        audit.history(telegram).filter(action=AuditEntry.Action.CHANGE, changes__has_key="has_government_channel").get()
    )
    assert change.changes["has_government_channel"] == [False, True]


def test_the_advisories_of_domain_md_are_recorded():
    demo.load(io.StringIO())
    mod = GovernmentAdvisory.objects.get(reference="SE/57/IV/2020")
    assert (mod.country, mod.measure, [p.name for p in mod.platforms.all()]) == ("ID", "prohibited", ["Zoom"])
    assert set(mod.reasons.values_list("slug", flat=True)) == {"data-routed-abroad", "data-leakage", "intrusion"}
    france = GovernmentAdvisory.objects.get(country="FR")
    assert {p.name for p in france.platforms.all()} == {"WhatsApp", "Telegram", "Signal"}
    assert "Olvid" in france.alternative and "Tchap" in france.alternative
    assert set(GovernmentAdvisory.objects.values_list("country", flat=True)) == {"ID", "FR", "CH", "IN", "HK"}
    spyware = GovernmentAdvisory.objects.get(country="IN", issued_on__year=2017)
    assert spyware.measure == "warned" and "Forty-two" in spyware.notes


def test_load_demo_labels_the_registry_entries_as_the_command(make_user):
    call_command("load_demo", stdout=io.StringIO())
    telegram = Platform.objects.get(name="Telegram")
    entry = audit.history(telegram).filter(action=AuditEntry.Action.CREATE).get()
    assert (entry.source, entry.actor_label, entry.actor) == (AuditEntry.Source.COMMAND, "load_demo", None)
