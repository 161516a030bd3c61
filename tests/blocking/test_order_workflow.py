"""Block and lift orders: four eyes, state machine, issue at the effective time, versions, audit."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from blocking import services
from blocking.models import BlocklistEntry, BlocklistVersion, BlockOrder, BlockProposal, OrderRecipient
from blocking.tasks import run_sweep
from notices import delivery
from notices.delivery import deliveries_about
from tests.factories import PASSWORD, CaseFactory, PlatformDomainFactory, second_factor_code
from tests.factories_blocking import ISPFactory, approved_order, issued_lift, order_awaiting_approval, order_in_force
from tracker.core.actors import SWEEP
from tracker.core.audit import history
from tracker.core.errors import DomainError, NotPermitted, TransitionNotAllowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_supervisor(make_user):
    return make_user("supervisor")


def in_force_names():
    return sorted(
        f"*.{name}" if subtree else name for name, subtree in BlocklistEntry.objects.values_list("name", "subtree")
    )


def test_proposal_becomes_an_order_prefilled_with_the_platform_domains(supervisor):
    case = CaseFactory()
    PlatformDomainFactory(platform=case.platform, name="telegram.org")
    PlatformDomainFactory(platform=case.platform, name="web.telegram.org")
    proposal = services.propose_block(case=case, reason="Six notices unanswered", actor=SWEEP)
    names = services.prefill_names(proposal=proposal)
    order = services.create_block_order(
        actor=supervisor,
        names=names,
        justification="x",
        legal_basis="y",
        effective_at=timezone.now() + timedelta(hours=1),
        proposal=proposal,
    )
    assert [str(n) for n in order.names.all()] == ["telegram.org", "web.telegram.org"]
    assert order.case == case
    proposal.refresh_from_db()
    assert proposal.status == BlockProposal.Status.ORDERED
    with pytest.raises(TransitionNotAllowed):
        services.create_block_order(
            actor=supervisor,
            names=names,
            justification="x",
            legal_basis="y",
            effective_at=timezone.now() + timedelta(hours=1),
            proposal=proposal,
        )


def test_the_proposer_cannot_approve_their_own_order(supervisor):
    order = order_awaiting_approval(proposer=supervisor, names="t.me", effective_in=timedelta(hours=1))
    with pytest.raises(NotPermitted, match="cannot approve"):
        services.approve_order(
            order=order, actor=supervisor, password=PASSWORD, otp_code=second_factor_code(supervisor)
        )
    order.refresh_from_db()
    assert order.status == BlockOrder.Status.AWAITING_APPROVAL


def test_approval_needs_the_approvers_password(supervisor, second_supervisor):
    order = order_awaiting_approval(proposer=supervisor, names="t.me", effective_in=timedelta(hours=1))
    with pytest.raises(DomainError) as error:
        services.approve_order(
            order=order, actor=second_supervisor, password="wrong", otp_code=second_factor_code(second_supervisor)
        )
    assert "password" in error.value.fields
    order.refresh_from_db()
    assert order.status == BlockOrder.Status.AWAITING_APPROVAL


def test_an_analyst_cannot_draft_an_order(analyst):
    with pytest.raises(NotPermitted):
        services.create_block_order(
            actor=analyst,
            names="t.me",
            justification="x",
            legal_basis="y",
            effective_at=timezone.now() + timedelta(hours=1),
        )


def test_effective_time_in_the_past_is_refused_and_nothing_saved(supervisor):
    with pytest.raises(DomainError) as error:
        services.create_block_order(
            actor=supervisor,
            names="t.me",
            justification="x",
            legal_basis="y",
            effective_at=timezone.now() - timedelta(hours=1),
        )
    assert "effective_at" in error.value.fields
    assert not BlockOrder.objects.exists()


def test_invalid_names_are_refused_and_nothing_saved(supervisor):
    with pytest.raises(DomainError) as error:
        services.create_block_order(
            actor=supervisor,
            names="t.me\nco.id",
            justification="x",
            legal_basis="y",
            effective_at=timezone.now() + timedelta(hours=1),
        )
    assert error.value.fields["names"][0].startswith("line 2")
    assert not BlockOrder.objects.exists()


def test_an_approved_order_is_issued_only_at_its_effective_time(
    supervisor, second_supervisor, django_capture_on_commit_callbacks
):
    isp_a, isp_b = ISPFactory(), ISPFactory()
    with django_capture_on_commit_callbacks(execute=False):
        order = approved_order(proposer=supervisor, approver=second_supervisor, effective_in=timedelta(hours=2))
    at = order.effective_at
    with time_machine.travel(at - timedelta(seconds=1), tick=False):
        assert run_sweep() == {"issued": 0, "ended": 0, "reminded": 0, "escalated": 0}
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks() as callbacks:
        assert run_sweep()["issued"] == 1
        assert run_sweep()["issued"] == 0  # the second sweep at the same instant changes nothing
    order.refresh_from_db()
    assert order.status == BlockOrder.Status.IN_FORCE
    assert order.issued_at == at
    assert in_force_names() == ["*.t.me", "web.telegram.org"]
    assert BlocklistVersion.objects.get().serial == 1
    assert set(order.recipients.values_list("isp", flat=True)) == {isp_a.pk, isp_b.pk}
    assert len(callbacks) == 1  # the order mails are queued after commit
    states = [(e.from_state, e.to_state) for e in history(order).filter(action="transition").order_by("at", "id")]
    assert states == [
        ("draft", "awaiting_approval"),
        ("awaiting_approval", "approved"),
        ("approved", "issued"),
        ("issued", "in_force"),
    ]


def test_each_bound_isp_is_mailed_the_order_and_list_once(supervisor, second_supervisor):
    isp = ISPFactory(contact_email="noc@telkom.example")
    named = approved_order(proposer=supervisor, approver=second_supervisor, isps=[isp])
    services.issue_order(order_id=named.pk, now=named.effective_at)
    recipient = OrderRecipient.objects.get()
    (order_mail,) = deliveries_about(OrderRecipient, [recipient.pk])
    assert delivery.send_delivery(delivery_id=order_mail.pk) == "sent"
    assert delivery.send_delivery(delivery_id=order_mail.pk) == "skipped"  # a retried task does not send twice
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["noc@telkom.example"]
    attachments = {name: content for name, content, _type in message.attachments}
    assert attachments[f"{named.reference}-names.txt"] == "*.t.me\nweb.telegram.org\n"
    assert "Law 19/2016" in attachments[f"{named.reference}.txt"]
    order_mail.refresh_from_db()
    assert order_mail.state == order_mail.State.SENT and order_mail.kind == order_mail.Kind.ISP_ORDER


def test_withdrawn_before_issue_is_never_issued(supervisor, second_supervisor):
    order = approved_order(proposer=supervisor, approver=second_supervisor)
    services.withdraw_order(order=order, actor=supervisor, reason="platform complied")
    assert services.issue_order(order_id=order.pk, now=order.effective_at + timedelta(hours=1)) is None
    assert not BlocklistEntry.objects.exists()
    with pytest.raises(TransitionNotAllowed):
        services.withdraw_order(order=order, actor=supervisor, reason="again")


def test_a_lift_removes_some_names_in_a_new_version_and_keeps_history(supervisor, second_supervisor):
    ISPFactory()  # late with its reports: it is not chased once the block is lifted
    block = order_in_force(proposer=supervisor, approver=second_supervisor, names="a.example.com\nb.example.com")
    issued_lift(block=block, proposer=supervisor, approver=second_supervisor, names="a.example.com")
    assert in_force_names() == ["b.example.com"]
    assert BlocklistVersion.objects.order_by("-serial").first().serial == 2
    block.refresh_from_db()
    assert block.status == BlockOrder.Status.IN_FORCE  # one name still blocked
    issued_lift(block=block, proposer=supervisor, approver=second_supervisor)
    block.refresh_from_db()
    assert block.status == BlockOrder.Status.LIFTED
    assert not OrderRecipient.objects.filter(order=block, next_action_at__isnull=False).exists()
    assert in_force_names() == []
    assert [str(n) for n in block.names.all()] == ["a.example.com", "b.example.com"]  # history kept


def test_a_lift_for_a_name_not_in_force_is_refused(supervisor, second_supervisor):
    block = order_in_force(proposer=supervisor, approver=second_supervisor, names="a.example.com")
    with pytest.raises(DomainError, match="Not in force"):
        services.create_lift_order(
            actor=supervisor,
            block_order=block,
            names="other.example.com",
            justification="x",
            legal_basis="y",
            effective_at=timezone.now() + timedelta(hours=1),
        )
    assert BlockOrder.objects.count() == 1


def test_a_block_with_an_end_time_leaves_the_list_then(supervisor, second_supervisor):
    effective = timedelta(minutes=5)
    order = order_in_force(
        proposer=supervisor,
        approver=second_supervisor,
        names="a.example.com",
        effective_in=effective,
        ends_at=timezone.now() + timedelta(days=3),
    )
    with time_machine.travel(order.ends_at, tick=False):
        assert run_sweep()["ended"] == 1
    order.refresh_from_db()
    assert order.status == BlockOrder.Status.LIFTED
    assert in_force_names() == []
    assert BlocklistVersion.objects.order_by("-serial").first().serial == 2


def test_a_lift_for_some_days_ends_and_the_block_resumes(supervisor, second_supervisor):
    block = order_in_force(proposer=supervisor, approver=second_supervisor, names="a.example.com")
    lift = services.create_lift_order(
        actor=supervisor,
        block_order=block,
        justification="trial period",
        legal_basis="same",
        effective_at=timezone.now() + timedelta(hours=1),
        ends_at=timezone.now() + timedelta(days=7),
    )
    services.submit_for_approval(order=lift, actor=supervisor)
    services.approve_order(
        order=lift, actor=second_supervisor, password=PASSWORD, otp_code=second_factor_code(second_supervisor)
    )
    with time_machine.travel(lift.effective_at, tick=False):
        assert run_sweep()["issued"] == 1
    assert in_force_names() == []
    with time_machine.travel(lift.ends_at - timedelta(seconds=1), tick=False):
        assert run_sweep()["ended"] == 0
    with time_machine.travel(lift.ends_at, tick=False):
        assert run_sweep()["ended"] == 1
        assert run_sweep()["ended"] == 0
    assert in_force_names() == ["a.example.com"]
    assert BlocklistVersion.objects.order_by("-serial").first().serial == 3
    block.refresh_from_db()
    assert block.status == BlockOrder.Status.IN_FORCE
