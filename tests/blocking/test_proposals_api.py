"""Block proposals through the API: listed and filtered, read with the order they suggest, dismissed with a
reason or turned into an order (which closes them), by the supervisors who may make block orders only."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from blocking import services
from blocking.models import BlockOrder, BlockProposal
from notices import sending
from tests.factories import CaseFactory, PlatformDomainFactory, PlatformFactory
from tests.factories_blocking import ISPFactory, isp_user
from tests.factories_notices import case_with_items
from tracker.core.actors import SWEEP
from tracker.core.models import AuditEntry

pytestmark = pytest.mark.django_db

SENT = [datetime(2016, 3, 29, 3, tzinfo=UTC), datetime(2017, 6, 11, 3, tzinfo=UTC)]


def proposal_for(case=None, reason="Six notices unanswered"):
    return services.propose_block(case=case or CaseFactory(), reason=reason, actor=SWEEP)


def telegram_proposal(liaison_officer):
    """The Telegram case: two owned names, two notices sent and unanswered, the ladder run out."""
    platform = PlatformFactory(name="Telegram", slug="telegram")
    PlatformDomainFactory(platform=platform, name="telegram.org")
    PlatformDomainFactory(platform=platform, name="t.me")
    case, items = case_with_items(count=1, platform=platform)
    notices = [sending.record_past_notice(case=case, actor=liaison_officer, sent_at=at, items=items) for at in SENT]
    return proposal_for(case), notices


def legal_basis_of(proposal) -> str:
    """The case's one category's legal basis: what the order form prefills."""
    return proposal.case.items.get().category.legal_basis


def in_an_hour() -> str:
    return (timezone.now() + timedelta(hours=1)).isoformat()


def test_proposals_are_listed_and_filtered_by_status_platform_and_case(api_client, supervisor):
    telegram = PlatformFactory(slug="telegram")
    first = proposal_for(CaseFactory(platform=telegram))
    second = proposal_for(CaseFactory())
    dismissed = proposal_for(CaseFactory(platform=telegram))
    services.dismiss_proposal(proposal=dismissed, actor=supervisor, reason="answered meanwhile")
    api_client.force_authenticate(supervisor)

    def listed(**params):
        return [row["id"] for row in api_client.get("/api/v1/block-proposals/", params).json()["results"]]

    assert sorted(listed()) == sorted([first.pk, second.pk, dismissed.pk])
    assert sorted(listed(status="open")) == sorted([first.pk, second.pk])
    assert sorted(listed(platform="telegram")) == sorted([first.pk, dismissed.pk])
    assert listed(case=second.case_id) == [second.pk]
    assert listed(platform="telegram", status="dismissed") == [dismissed.pk]
    assert api_client.get("/api/v1/block-proposals/", {"status": "maybe"}).status_code == 400


def test_a_proposal_shows_the_order_it_suggests_as_the_order_form_prefills_it(api_client, supervisor, liaison_officer):
    proposal, notices = telegram_proposal(liaison_officer)
    api_client.force_authenticate(supervisor)
    shown = api_client.get(f"/api/v1/block-proposals/{proposal.pk}/").json()
    assert shown["status"] == "open" and shown["platform"] == "telegram" and shown["proposed_by"] == "escalation sweep"
    assert shown["suggested_order"] == {
        "names": ["t.me", "telegram.org"],
        "justification": "Six notices unanswered",
        "legal_basis": legal_basis_of(proposal),
        "notices": [notice.reference for notice in notices],
    }
    assert shown["orders"] == []


def test_a_supervisor_dismisses_a_proposal_with_a_reason_once(api_client, supervisor):
    proposal = proposal_for()
    api_client.force_authenticate(supervisor)
    url = f"/api/v1/block-proposals/{proposal.pk}/dismiss/"
    assert api_client.post(url, {}, format="json").json()["error"]["fields"]["reason"]
    assert api_client.post(url, {"reason": "  "}, format="json").status_code == 400
    unknown = api_client.post(url, {"reason": "answered", "status": "open"}, format="json")
    assert unknown.status_code == 400 and "status" in unknown.json()["error"]["fields"]
    dismissed = api_client.post(url, {"reason": "Telegram answered on 16 July"}, format="json")
    assert dismissed.status_code == 200
    assert dismissed.json()["status"] == "dismissed" and dismissed.json()["suggested_order"] is None
    entry = AuditEntry.objects.get(
        content_type__model="blockproposal", object_id=str(proposal.pk), action=AuditEntry.Action.TRANSITION
    )
    assert (entry.actor, entry.to_state, entry.reason) == (supervisor, "dismissed", "Telegram answered on 16 July")
    again = api_client.post(url, {"reason": "twice"}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "transition_not_allowed"


def test_an_order_made_from_a_proposal_takes_its_suggestion_and_closes_it(api_client, supervisor, liaison_officer):
    proposal, notices = telegram_proposal(liaison_officer)
    api_client.force_authenticate(supervisor)
    made = api_client.post(
        f"/api/v1/block-proposals/{proposal.pk}/order/", {"effective_at": in_an_hour()}, format="json"
    )
    assert made.status_code == 201, made.content
    order = BlockOrder.objects.get(pk=made.json()["id"])
    assert made.json()["names"] == ["t.me", "telegram.org"]
    assert (order.proposal, order.case, order.status) == (proposal, proposal.case, BlockOrder.Status.DRAFT)
    assert order.justification == "Six notices unanswered" and order.legal_basis == legal_basis_of(proposal)
    assert list(order.notices.order_by("sent_at")) == notices
    proposal.refresh_from_db()
    assert proposal.status == BlockProposal.Status.ORDERED
    shown = api_client.get(f"/api/v1/block-proposals/{proposal.pk}/").json()
    assert shown["orders"] == [{"id": order.pk, "reference": order.reference, "status": "draft"}]
    second = api_client.post(
        f"/api/v1/block-proposals/{proposal.pk}/order/", {"effective_at": in_an_hour()}, format="json"
    )
    assert second.status_code == 409
    assert BlockOrder.objects.count() == 1


def test_an_order_from_a_proposal_may_name_its_own_names_isps_and_notices(api_client, supervisor, liaison_officer):
    proposal, notices = telegram_proposal(liaison_officer)
    telkom, _other = ISPFactory(), ISPFactory()
    api_client.force_authenticate(supervisor)
    made = api_client.post(
        f"/api/v1/block-proposals/{proposal.pk}/order/",
        {
            "effective_at": in_an_hour(),
            "names": ["web.telegram.org"],
            "justification": "The web version only",
            "legal_basis": "Law 19/2016 art. 40(2b)",
            "notices": [notices[1].reference],
            "isps": [telkom.pk],
        },
        format="json",
    )
    assert made.status_code == 201, made.content
    order = BlockOrder.objects.get()
    assert made.json()["names"] == ["web.telegram.org"] and order.justification == "The web version only"
    assert list(order.isps.all()) == [telkom] and not order.binds_all_isps
    assert list(order.notices.all()) == [notices[1]]


def test_a_bad_order_from_a_proposal_is_refused_and_leaves_it_open(api_client, supervisor):
    proposal = proposal_for()
    api_client.force_authenticate(supervisor)
    url = f"/api/v1/block-proposals/{proposal.pk}/order/"
    missing = api_client.post(url, {}, format="json")
    assert missing.status_code == 400 and "effective_at" in missing.json()["error"]["fields"]
    past = (timezone.now() - timedelta(days=1)).isoformat()
    late = api_client.post(url, {"effective_at": past, "names": ["t.me"], "legal_basis": "x"}, format="json")
    assert late.status_code == 400 and "effective_at" in late.json()["error"]["fields"]
    bad = api_client.post(url, {"effective_at": in_an_hour(), "names": ["https://t.me/x"]}, format="json")
    assert bad.status_code == 400 and "names" in bad.json()["error"]["fields"]
    unknown = api_client.post(url, {"effective_at": in_an_hour(), "proposal": 3}, format="json")
    assert unknown.status_code == 400 and "proposal" in unknown.json()["error"]["fields"]
    proposal.refresh_from_db()
    assert proposal.status == BlockProposal.Status.OPEN and not BlockOrder.objects.exists()


@pytest.mark.parametrize("role", ["administrator", "liaison_officer", "auditor", "analyst"])
def test_only_supervisors_decide_proposals_others_read_them(api_client, make_user, role):
    proposal = proposal_for()
    api_client.force_authenticate(make_user(role))
    assert api_client.get(f"/api/v1/block-proposals/{proposal.pk}/").status_code == 200
    dismissed = api_client.post(f"/api/v1/block-proposals/{proposal.pk}/dismiss/", {"reason": "no"}, format="json")
    ordered = api_client.post(
        f"/api/v1/block-proposals/{proposal.pk}/order/", {"effective_at": in_an_hour()}, format="json"
    )
    assert (dismissed.status_code, ordered.status_code) == (403, 403)
    proposal.refresh_from_db()
    assert proposal.status == BlockProposal.Status.OPEN


def test_an_isp_account_cannot_read_proposals(api_client):
    proposal_for()
    api_client.force_authenticate(isp_user(ISPFactory()))
    assert api_client.get("/api/v1/block-proposals/").status_code == 403


def test_the_proposal_list_costs_the_same_queries_for_more_proposals(
    api_client, supervisor, django_assert_num_queries, django_assert_max_num_queries
):
    order_from = proposal_for()
    services.create_block_order(
        actor=supervisor,
        names="t.me",
        justification="x",
        legal_basis="y",
        effective_at=timezone.now() + timedelta(hours=1),
        proposal=order_from,
    )
    api_client.force_authenticate(supervisor)
    with django_assert_max_num_queries(8) as small:
        api_client.get("/api/v1/block-proposals/")
    for _ in range(5):
        proposal_for()
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(api_client.get("/api/v1/block-proposals/").json()["results"]) == 6


def test_an_order_made_through_the_api_from_a_proposal_closes_it(api_client, make_user):
    from blocking.models import BlockOrder, BlockProposal
    from blocking.services import propose_block
    from tests.factories import CaseFactory, PlatformDomainFactory
    from tracker.core.actors import SWEEP

    case = CaseFactory()
    PlatformDomainFactory(platform=case.platform, name="telegram.test")
    proposal = propose_block(case=case, reason="six notices unanswered", actor=SWEEP)
    api_client.force_authenticate(make_user("supervisor"))
    body = {
        "names": ["telegram.test"],
        "justification": "six notices unanswered",
        "legal_basis": "Law 19/2016 art. 40(2b)",
        "effective_at": "2030-01-01T00:00:00Z",
        "case": case.pk,
        "proposal": proposal.pk,
    }
    made = api_client.post("/api/v1/block-orders/", body, format="json")
    assert made.status_code == 201
    proposal.refresh_from_db()
    assert proposal.status != BlockProposal.Status.OPEN
    assert BlockOrder.objects.get(pk=made.json()["id"]).proposal_id == proposal.pk
