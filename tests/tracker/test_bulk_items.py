"""Issue 14, "one click per item": a selection of items is verified, moved or recategorised in one action,
each item by the per-item rules and audited per item, with a summary of what was done and refused and why."""

import pytest

from tests.factories import CategoryFactory, FlaggedItemFactory, PlatformFactory
from tracker.core.bulk import MAX_IDS
from tracker.core.errors import NotPermitted
from tracker.core.models import AuditEntry
from tracker.items import bulk
from tracker.items.models import FlaggedItem

pytestmark = pytest.mark.django_db

Status = FlaggedItem.Status


@pytest.fixture
def platform():
    return PlatformFactory()


def _items(n, platform, **fields):
    return [FlaggedItemFactory(platform=platform, **fields) for _ in range(n)]


def test_the_finding_a_selection_of_items_is_verified_in_one_api_request(api_client, analyst, platform):
    items = _items(3, platform)
    api_client.force_authenticate(analyst)
    response = api_client.post("/api/v1/items/bulk/", {"action": "verify", "ids": [i.pk for i in items]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"done": [i.pk for i in items], "refused": []}
    assert set(FlaggedItem.objects.values_list("status", flat=True)) == {Status.VERIFIED}
    assert set(FlaggedItem.objects.values_list("verified_by", flat=True)) == {analyst.pk}


def test_bulk_verify_refuses_per_item_and_audits_each_one_done(analyst, platform):
    theirs = _items(2, platform)
    mine = FlaggedItemFactory(platform=platform, logged_by=analyst)
    closed = FlaggedItemFactory(platform=platform, status=Status.CLOSED)
    result = bulk.bulk_verify(
        actor=analyst, ids=[theirs[0].pk, mine.pk, closed.pk, 999_999, theirs[1].pk], reason="checked"
    )
    assert result.done == [theirs[0].pk, theirs[1].pk]
    reasons = {row["id"]: row["reason"] for row in result.refused}
    assert set(reasons) == {mine.pk, closed.pk, 999_999}
    assert "You logged this item" in reasons[mine.pk]
    assert "cannot become" in reasons[closed.pk]
    assert reasons[999_999] == "No such item."
    mine.refresh_from_db(), closed.refresh_from_db()
    assert (mine.status, closed.status) == (Status.NEW, Status.CLOSED)
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.TRANSITION, to_state=Status.VERIFIED)
    assert sorted(int(e.object_id) for e in entries) == sorted(i.pk for i in theirs)
    assert {(e.actor_id, e.from_state, e.reason) for e in entries} == {(analyst.pk, Status.NEW, "checked")}


def test_bulk_transition_and_category_go_through_the_per_item_rules(analyst, platform):
    new, verified = FlaggedItemFactory(platform=platform), FlaggedItemFactory(platform=platform, status=Status.VERIFIED)
    result = bulk.bulk_transition(actor=analyst, ids=[new.pk, verified.pk], to_status=Status.IN_NOTICE)
    assert result.done == [verified.pk] and [r["id"] for r in result.refused] == [new.pk]
    other = CategoryFactory(slug="gambling", name="Gambling", default_urgency="normal")
    result = bulk.bulk_change_category(actor=analyst, ids=[new.pk], category=other)
    assert result.done == [new.pk]
    new.refresh_from_db()
    assert new.category == other


def test_a_selection_above_the_cap_is_refused(analyst):
    with pytest.raises(Exception, match="At most"):
        bulk.bulk_verify(actor=analyst, ids=range(1, MAX_IDS + 2))


@pytest.mark.parametrize("role", ["liaison_officer", "auditor", "administrator", "isp"])
def test_other_roles_are_refused_bulk_actions(make_user, role, platform):
    item = FlaggedItemFactory(platform=platform)
    with pytest.raises(NotPermitted):
        bulk.bulk_verify(actor=make_user(role), ids=[item.pk])
    item.refresh_from_db()
    assert item.status == Status.NEW


def test_the_api_refuses_unknown_fields_and_missing_status(api_client, supervisor, platform):
    item = FlaggedItemFactory(platform=platform)
    api_client.force_authenticate(supervisor)
    unknown = api_client.post("/api/v1/items/bulk/", {"action": "verify", "ids": [item.pk], "x": 1}, format="json")
    assert unknown.status_code == 400 and "x" in unknown.content.decode()
    missing = api_client.post("/api/v1/items/bulk/", {"action": "transition", "ids": [item.pk]}, format="json")
    assert missing.status_code == 400 and "status" in missing.content.decode()
    too_many = api_client.post(
        "/api/v1/items/bulk/", {"action": "verify", "ids": list(range(1, MAX_IDS + 2))}, format="json"
    )
    assert too_many.status_code == 400
