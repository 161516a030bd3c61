"""One helper moves every record along its declared state machine: refusals save nothing, and every move
names who acted, a person or the system."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blocking import services
from blocking.models import BlockOrder, BlockProposal
from notices.models import Delivery, InboundMail, Notice, Rebuttal, Sanction
from platforms.models import GovernmentAdvisory
from tests.factories import CaseFactory, FlaggedItemFactory
from tracker.cases.models import Case
from tracker.core.actors import SWEEP, SystemActor
from tracker.core.errors import NotPermitted, TransitionNotAllowed
from tracker.core.models import AuditEntry
from tracker.core.states import StateMachine, change_state, claim_state
from tracker.imports.models import ItemImport
from tracker.items.models import FlaggedItem

pytestmark = pytest.mark.django_db

EVERY_MODEL_WITH_A_STATE = [
    FlaggedItem,
    Case,
    ItemImport,
    GovernmentAdvisory,
    Notice,
    Delivery,
    InboundMail,
    Rebuttal,
    Sanction,
    BlockProposal,
    BlockOrder,
]


@pytest.mark.parametrize("model", EVERY_MODEL_WITH_A_STATE, ids=lambda model: model.__name__)
def test_every_model_with_a_state_declares_its_machine_over_its_own_states(model):
    machine = model.STATE_MACHINE
    assert isinstance(machine, StateMachine)
    states = {value for value, _label in model._meta.get_field(machine.field).choices}
    assert set(machine.transitions) == states, "every state says where it may go, if anywhere"
    assert {target for targets in machine.transitions.values() for target in targets} <= states


def test_an_undeclared_move_is_refused_and_nothing_is_saved(analyst):
    item = FlaggedItemFactory(status=FlaggedItem.Status.NEW)
    with pytest.raises(TransitionNotAllowed) as refused:
        change_state(item, to=FlaggedItem.Status.REMOVED, actor=analyst)
    item.refresh_from_db()
    assert item.status == FlaggedItem.Status.NEW
    assert "cannot become" in refused.value.message
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.TRANSITION, object_id=str(item.pk)).exists()


def test_a_move_locks_sets_and_audits_once(analyst):
    case = CaseFactory()
    change_state(case, to=Case.Status.ESCALATED, actor=analyst, reason="ladder ran out")
    case.refresh_from_db()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.TRANSITION, object_id=str(case.pk))
    assert (case.status, entry.from_state, entry.to_state, entry.actor) == ("escalated", "open", "escalated", analyst)


def test_no_one_is_not_an_actor():
    case = CaseFactory()
    with pytest.raises(TypeError, match="Say who acts"):
        change_state(case, to=Case.Status.ESCALATED, actor=None)
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


def test_the_system_is_named_in_the_audit_trail_and_has_no_user():
    case = CaseFactory()
    change_state(case, to=Case.Status.ESCALATED, actor=SWEEP)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.TRANSITION, object_id=str(case.pk))
    assert (entry.actor, entry.actor_label) == (None, "escalation sweep")


def test_the_system_may_propose_a_block_but_never_approve_one(supervisor):
    case = CaseFactory()
    proposal = services.propose_block(case=case, reason="the ladder ran out", actor=SWEEP)
    assert (proposal.proposed_by, proposal.proposed_by_label) == (None, "escalation sweep")
    order = services.create_block_order(
        actor=supervisor,
        proposal=proposal,
        case=case,
        names="web.telegram.org",
        justification="six notices unanswered",
        legal_basis="art. 40",
        effective_at=timezone.now() + timedelta(hours=1),
    )
    services.submit_for_approval(order=order, actor=supervisor)
    with pytest.raises(NotPermitted):
        services.approve_order(order=order, actor=SystemActor("a task"), password="", otp_code="")
    order.refresh_from_db()
    assert order.status == BlockOrder.Status.AWAITING_APPROVAL


def test_a_claim_moves_only_rows_whose_state_may_move_and_says_how_many():
    item = FlaggedItemFactory(status=FlaggedItem.Status.NEW)
    assert claim_state(FlaggedItem.objects.filter(pk=item.pk), to=FlaggedItem.Status.VERIFIED) == 1
    # Verified cannot become verified again: a second worker claiming the same row gets nothing.
    assert claim_state(FlaggedItem.objects.filter(pk=item.pk), to=FlaggedItem.Status.VERIFIED) == 0
    item.refresh_from_db()
    assert item.status == FlaggedItem.Status.VERIFIED
