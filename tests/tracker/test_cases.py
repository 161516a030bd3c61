"""Cases: items of one platform, added and removed with history, a state machine and a timeline."""

import pytest

from tests.factories import CaseFactory, FlaggedItemFactory, PlatformFactory
from tracker.cases import services as case_services
from tracker.cases.models import CaseItem
from tracker.cases.timeline import case_timeline
from tracker.core.errors import DomainError, NotPermitted, TransitionNotAllowed

pytestmark = pytest.mark.django_db


def test_a_case_is_opened_with_items_of_its_platform(analyst):
    platform = PlatformFactory()
    items = FlaggedItemFactory.create_batch(3, platform=platform)
    case = case_services.open_case(actor=analyst, platform=platform, title="Radical channels, 2016", items=items)
    assert set(case.items.all()) == set(items) and case.owner == analyst


def test_items_of_another_platform_are_refused_and_nothing_is_added(analyst):
    case = CaseFactory()
    mine, foreign = FlaggedItemFactory(platform=case.platform), FlaggedItemFactory()
    with pytest.raises(DomainError) as refused:
        case_services.add_items(case, items=[mine, foreign], actor=analyst)
    assert foreign.display in refused.value.message
    assert CaseItem.objects.count() == 0


def test_adding_an_item_twice_keeps_one_membership(analyst):
    case = CaseFactory()
    item = FlaggedItemFactory(platform=case.platform)
    case_services.add_items(case, items=[item], actor=analyst)
    assert case_services.add_items(case, items=[item, item], actor=analyst) == []
    assert CaseItem.objects.filter(case=case).count() == 1


def test_a_removed_item_keeps_its_history_and_can_come_back(analyst):
    case = CaseFactory()
    item = FlaggedItemFactory(platform=case.platform)
    case_services.add_items(case, items=[item], actor=analyst)
    case_services.remove_item(case, item=item, actor=analyst, reason="logged by mistake")
    assert list(case.items.filter(memberships__removed_at__isnull=True)) == []
    case_services.add_items(case, items=[item], actor=analyst)
    assert CaseItem.objects.filter(case=case, item=item).count() == 2


def test_removing_needs_a_reason(analyst):
    case = CaseFactory()
    item = FlaggedItemFactory(platform=case.platform)
    case_services.add_items(case, items=[item], actor=analyst)
    with pytest.raises(DomainError) as refused:
        case_services.remove_item(case, item=item, actor=analyst, reason=" ")
    assert "reason" in refused.value.fields


def test_case_status_follows_its_state_machine(analyst):
    case = CaseFactory()
    case = case_services.change_case_status(case, to_status="escalated", actor=analyst)
    case = case_services.change_case_status(case, to_status="closed", actor=analyst, reason="content removed")
    assert case.closed_at is not None
    with pytest.raises(TransitionNotAllowed):
        case_services.change_case_status(case, to_status="blocked", actor=analyst)
    with pytest.raises(TransitionNotAllowed):
        case_services.add_items(case, items=[FlaggedItemFactory(platform=case.platform)], actor=analyst)


def test_a_liaison_officer_cannot_open_a_case(liaison_officer):
    with pytest.raises(NotPermitted):
        case_services.open_case(actor=liaison_officer, platform=PlatformFactory(), title="x")


def test_a_case_without_title_is_refused_naming_the_field(analyst):
    with pytest.raises(DomainError) as refused:
        case_services.open_case(actor=analyst, platform=PlatformFactory(), title="  ")
    assert "title" in refused.value.fields


def test_the_timeline_tells_opening_items_and_status_in_order(analyst, django_assert_max_num_queries):
    case = case_services.open_case(actor=analyst, platform=PlatformFactory(), title="Telegram 2016")
    items = FlaggedItemFactory.create_batch(5, platform=case.platform)
    case_services.add_items(case, items=items, actor=analyst)
    case_services.remove_item(case, item=items[0], actor=analyst, reason="duplicate")
    case_services.change_case_status(case, to_status="escalated", actor=analyst, reason="no answer")
    with django_assert_max_num_queries(12):
        events = case_timeline(case)
    kinds = [event.kind for event in events]
    assert kinds[:4] == ["case_opened", "item_added", "item_removed", "case_status"]
    assert events[1].title == "5 items added"
    assert events[3].detail == "no answer"
    assert [event.at for event in events] == sorted(event.at for event in events)
