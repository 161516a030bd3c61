"""Issue 14: cases transitioned, assigned and filled with selected items in one action, each by the per-case
rules, with a summary of what was done and refused and why."""

import pytest

from tests.factories import CaseFactory, FlaggedItemFactory, PlatformFactory
from tracker.cases import bulk
from tracker.cases.models import Case, CaseItem
from tracker.core.errors import NotPermitted

pytestmark = pytest.mark.django_db


def test_cases_are_assigned_and_closed_in_one_api_request(api_client, analyst, make_user):
    cases = [CaseFactory() for _ in range(3)]
    newcomer = make_user("analyst")
    api_client.force_authenticate(analyst)
    ids = [case.pk for case in cases]
    assigned = api_client.post(
        "/api/v1/cases/bulk/", {"action": "assign", "ids": [*ids, 999_999], "owner": newcomer.username}, format="json"
    )
    assert assigned.status_code == 200, assigned.content
    assert assigned.json() == {"done": ids, "refused": [{"id": 999_999, "reason": "No such case."}]}
    assert set(Case.objects.values_list("owner", flat=True)) == {newcomer.pk}
    closed = api_client.post(
        "/api/v1/cases/bulk/", {"action": "transition", "ids": ids, "status": "closed", "reason": "done"}, format="json"
    )
    assert closed.status_code == 200 and closed.json()["done"] == ids
    again = api_client.post(
        "/api/v1/cases/bulk/", {"action": "transition", "ids": ids, "status": "closed"}, format="json"
    )
    assert again.json()["done"] == [] and len(again.json()["refused"]) == 3


def test_selected_items_are_added_to_a_case_and_other_platforms_refused_one_by_one(analyst):
    case = CaseFactory()
    fitting = [FlaggedItemFactory(platform=case.platform) for _ in range(2)]
    foreign = FlaggedItemFactory(platform=PlatformFactory(slug="other", name="Other"))
    result = bulk.bulk_add_to_case(actor=analyst, case=case, ids=[fitting[0].pk, foreign.pk, fitting[1].pk])
    assert result.done == [fitting[0].pk, fitting[1].pk]
    assert [row["id"] for row in result.refused] == [foreign.pk]
    assert CaseItem.objects.filter(case=case).count() == 2


@pytest.mark.parametrize("role", ["liaison_officer", "auditor", "administrator", "isp"])
def test_other_roles_are_refused_bulk_case_actions(make_user, role):
    case = CaseFactory()
    with pytest.raises(NotPermitted):
        bulk.bulk_case_transition(actor=make_user(role), ids=[case.pk], to_status="closed")


def test_the_case_list_page_closes_selected_cases_and_shows_the_refusals(client, analyst):
    open_case, closed = CaseFactory(), CaseFactory(status="closed")
    client.force_login(analyst)
    assert 'id="select-all"' in client.get("/cases/").content.decode()
    response = client.post(
        "/cases/bulk/", {"action": "transition", "status": "closed", "ids": [open_case.pk, closed.pk]}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 case done; 1 refused." in page and 'id="bulk-refusals"' in page
    open_case.refresh_from_db()
    assert open_case.status == "closed"
