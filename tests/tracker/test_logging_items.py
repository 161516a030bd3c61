"""Logging flagged items: canonical forms, one item per content, sightings, urgency, verification."""

import pytest

from tests.factories import CategoryFactory
from tests.factories_content import telegram, x_platform
from tracker.core.actors import SystemActor
from tracker.core.errors import DomainError, NotPermitted, TransitionNotAllowed
from tracker.core.models import AuditEntry
from tracker.items import services as item_services
from tracker.items.models import Category, FlaggedItem, Sighting

pytestmark = pytest.mark.django_db


@pytest.fixture
def terrorism():
    return Category.objects.get(slug="terrorism")


@pytest.fixture
def gambling():
    return Category.objects.get(slug="online-gambling")


def log(actor, url, category, **kwargs):
    kwargs.setdefault("source", FlaggedItem.Source.PATROL)
    return item_services.log_item(actor=actor, url=url, category=category, **kwargs)


def test_a_telegram_link_is_recognised_and_stored_in_canonical_form(analyst, terrorism):
    platform = telegram()
    item, created = log(analyst, "https://telegram.me/s/Radical_Channel?before=12#x", terrorism)
    assert created
    assert (item.canonical, item.platform, item.kind, item.host) == (
        "https://t.me/radical_channel",
        platform,
        FlaggedItem.Kind.CHANNEL,
        "t.me",
    )
    assert item.entered_as == "https://telegram.me/s/Radical_Channel?before=12#x"


def test_second_report_of_same_channel_in_another_form_adds_a_sighting(make_user, terrorism):
    platform = telegram()
    first, second = make_user("analyst"), make_user("analyst")
    item, _ = log(first, "https://t.me/radical_channel", terrorism)
    again, created = log(
        second, "@Radical_Channel", terrorism, handle_platform=platform, source=FlaggedItem.Source.PUBLIC_COMPLAINT
    )
    assert not created and again.pk == item.pk
    assert FlaggedItem.objects.count() == 1
    assert list(Sighting.objects.filter(item=item).values_list("reported_by", "entered_as", "source")) == [
        (first.pk, "https://t.me/radical_channel", "patrol"),
        (second.pk, "@Radical_Channel", "public_complaint"),
    ]
    assert again.sighting_count == 2


def test_an_unknown_host_is_kept_as_other_with_its_host(analyst, gambling):
    item, _ = log(analyst, "HTTPS://Slot-Gacor.Example.ID/daftar?utm_source=wa", gambling)
    assert item.platform is None
    assert (item.host, item.canonical) == ("slot-gacor.example.id", "https://slot-gacor.example.id/daftar")


def test_an_idn_host_is_stored_in_punycode_and_shown_in_unicode(analyst, gambling):
    item, _ = log(analyst, "http://bücher-judi.example/seite", gambling)
    assert item.canonical.startswith("http://xn--bcher-judi-")
    assert item.display.startswith("http://bücher-judi.example")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("javascript:alert(1)", "javascript"),
        ("data:text/html;base64,PHNjcmlwdD4=", "data"),
        ("http://192.168.1.10/page", "IP"),
        ("http://[2001:db8::1]/", "IP"),
        ("https://example.com/" + "a" * 3000, "2048"),
        ("", "nothing"),
    ],
)
def test_bad_input_is_refused_naming_the_url_and_nothing_is_saved(analyst, gambling, url, problem):
    with pytest.raises(DomainError) as refused:
        log(analyst, url, gambling)
    assert "url" in refused.value.fields
    assert problem.lower() in refused.value.fields["url"][0].lower()
    assert FlaggedItem.objects.count() == 0 and AuditEntry.objects.filter(action="create").count() == 0


def test_a_handle_without_a_platform_is_refused(analyst, terrorism):
    with pytest.raises(DomainError) as refused:
        log(analyst, "@some_channel", terrorism)
    assert "url" in refused.value.fields


def test_an_unknown_source_is_refused_naming_the_field(analyst, terrorism):
    telegram()
    with pytest.raises(DomainError) as refused:
        log(analyst, "https://t.me/abcde", terrorism, source="rumour")
    assert set(refused.value.fields) == {"source"}


def test_urgency_comes_from_the_category_and_can_be_raised_not_lowered(analyst, terrorism, gambling):
    telegram()
    normal, _ = log(analyst, "https://t.me/judi_online", gambling)
    raised, _ = log(analyst, "https://t.me/judi_online2", gambling, urgency="urgent")
    assert (normal.urgency, raised.urgency) == ("normal", "urgent")
    with pytest.raises(DomainError) as refused:
        log(analyst, "https://t.me/teror_channel", terrorism, urgency="normal")
    assert "urgency" in refused.value.fields


def test_a_later_urgent_report_raises_the_item(analyst, gambling):
    telegram()
    item, _ = log(analyst, "https://t.me/judi_online", gambling)
    again, _ = log(analyst, "t.me/judi_online", gambling, urgency="urgent")
    assert again.urgency == "urgent"
    assert AuditEntry.objects.filter(object_id=str(item.pk), action="event").get().changes == {
        "urgency": ["normal", "urgent"]
    }


def test_logging_is_audited_with_who_and_what(analyst, terrorism):
    telegram()
    item, _ = log(analyst, "https://t.me/abcdef", terrorism)
    entry = AuditEntry.objects.get(object_id=str(item.pk), action="create")
    assert entry.actor == analyst and entry.changes["canonical"] == [None, "https://t.me/abcdef"]


def test_an_item_is_verified_by_a_second_analyst_never_the_one_who_logged_it(make_user, terrorism):
    telegram()
    logger, second = make_user("analyst"), make_user("analyst")
    item, _ = log(logger, "https://t.me/abcdef", terrorism)
    with pytest.raises(NotPermitted):
        item_services.verify_item(item, actor=logger)
    item = item_services.verify_item(item, actor=second)
    item.refresh_from_db()
    assert (item.status, item.verified_by) == ("verified", second)
    entry = AuditEntry.objects.get(object_id=str(item.pk), action="transition")
    assert (entry.from_state, entry.to_state, entry.actor) == ("new", "verified", second)


def test_a_supervisor_may_verify_a_liaison_officer_may_not(make_user, analyst, terrorism):
    telegram()
    item, _ = log(analyst, "https://t.me/abcdef", terrorism)
    with pytest.raises(NotPermitted):
        item_services.verify_item(item, actor=make_user("liaison_officer"))
    assert item_services.verify_item(item, actor=make_user("supervisor")).status == "verified"


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (["verified", "in_notice", "removed", "closed"], True),
        (["in_notice"], False),
        (["verified", "removed"], False),
        (["closed", "new"], False),
        (["verified", "in_notice", "refused", "in_notice", "blocked"], True),
    ],
)
def test_status_transitions_follow_the_state_machine(make_user, terrorism, path, allowed):
    telegram()
    item, _ = log(make_user("analyst"), "https://t.me/abcdef", terrorism)
    try:
        for status in path:
            item = item_services.change_item_status(item, to_status=status, actor=SystemActor("test"))
    except TransitionNotAllowed:
        assert not allowed
    else:
        assert allowed and item.status == path[-1]


def test_editing_an_item_records_before_and_after(analyst, gambling):
    telegram()
    fraud = Category.objects.get(slug="fraud")
    item, _ = log(analyst, "https://t.me/abcdef", gambling)
    item_services.edit_item(item, actor=analyst, category=fraud, description="fake investment", reason="recheck")
    entry = AuditEntry.objects.get(object_id=str(item.pk), action="change")
    assert entry.changes == {"category": [gambling.pk, fraud.pk], "description": ["", "fake investment"]}


def test_an_inactive_category_is_refused(analyst):
    telegram()
    retired = CategoryFactory(slug="retired", name="Retired", default_urgency="normal", is_active=False)
    with pytest.raises(DomainError) as refused:
        log(analyst, "https://t.me/abcdef", retired)
    assert "category" in refused.value.fields


def test_x_links_of_both_hosts_are_one_account(analyst, gambling):
    platform = x_platform()
    item, _ = log(analyst, "https://twitter.com/JudiBola", gambling)
    again, created = log(analyst, "https://x.com/judibola?s=20", gambling)
    assert not created and again.pk == item.pk and item.platform == platform
