"""A lift for some days: at its end the sweep blocks the names again for the ISPs it was issued to, tells them
like an order, audits it, and the blocklist versions record both the lift and the resumption."""

from datetime import timedelta
from email import message_from_bytes
from io import BytesIO

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from pypdf import PdfReader

from blocking import exports, services
from blocking.models import BlocklistVersion, BlockOrder, OrderRecipient
from blocking.tasks import run_sweep
from notices.models import Delivery
from tests.factories import PASSWORD, second_factor_code
from tests.factories_blocking import ISPFactory, issued_lift, order_in_force
from tracker.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_supervisor(make_user):
    return make_user("supervisor")


@pytest.fixture
def telkom():
    return ISPFactory(name="Telkom", contact_email="noc@telkom.example")


@pytest.fixture
def indosat():
    return ISPFactory(name="Indosat", contact_email="noc@indosat.example")


@pytest.fixture
def block(supervisor, second_supervisor, telkom, indosat):
    return order_in_force(proposer=supervisor, approver=second_supervisor, names="a.example.com\nb.example.com")


def approved_lift(block, proposer, approver, *, names="a.example.com", isps=None, days=7):
    lift = services.create_lift_order(
        actor=proposer,
        block_order=block,
        names=names,
        isps=isps,
        justification="a trial period agreed with the platform",
        legal_basis="same",
        effective_at=timezone.now() + timedelta(hours=1),
        ends_at=timezone.now() + timedelta(days=days),
    )
    services.submit_for_approval(order=lift, actor=proposer)
    return services.approve_order(order=lift, actor=approver, password=PASSWORD, otp_code=second_factor_code(approver))


def names(isp=None) -> list[str]:
    return exports.get_export("txt", isp=isp).path.read_text().splitlines()[1:]


def resumption_mail(lift) -> list[Delivery]:
    return list(
        Delivery.objects.filter(
            about_type=ContentType.objects.get_for_model(OrderRecipient),
            about_id__in=lift.recipients.values("pk"),
            purpose="resumption",
        )
    )


def test_a_lift_for_some_days_for_one_isp_ends_and_that_isp_blocks_the_names_again(
    supervisor, second_supervisor, block, telkom, indosat, django_capture_on_commit_callbacks
):
    lift = approved_lift(block, supervisor, second_supervisor, isps=[telkom])
    with time_machine.travel(lift.effective_at, tick=False):
        assert run_sweep()["issued"] == 1
    assert names(telkom) == ["b.example.com"] and names(indosat) == ["a.example.com", "b.example.com"]
    with time_machine.travel(lift.ends_at - timedelta(seconds=1), tick=False):
        assert run_sweep()["ended"] == 0
    with time_machine.travel(lift.ends_at, tick=False), django_capture_on_commit_callbacks() as callbacks:
        assert run_sweep()["ended"] == 1
        assert run_sweep()["ended"] == 0  # the same instant again: nothing more
    assert callbacks  # the mail is queued after commit
    with time_machine.travel(lift.ends_at + timedelta(seconds=1), tick=False):
        assert run_sweep() == {"issued": 0, "ended": 0, "reminded": 0, "escalated": 0}
    assert names(telkom) == ["a.example.com", "b.example.com"]
    lift.refresh_from_db()
    block.refresh_from_db()
    assert lift.status == BlockOrder.Status.LIFTED and block.status == BlockOrder.Status.IN_FORCE
    versions = list(BlocklistVersion.objects.order_by("serial").values_list("serial", "order_id", "effective_at"))
    assert versions[-2:] == [(2, lift.pk, lift.effective_at), (3, lift.pk, lift.ends_at)]
    [mail] = resumption_mail(lift)
    assert mail.recipient == "noc@telkom.example" and mail.kind == Delivery.Kind.ISP_ORDER
    message = bytes(mail.raw_message).decode()
    assert f"Block resumes under {block.reference}: 1 DNS names" in message and "a.example.com" in message
    # The letter goes with it, as with every order: a PDF naming both orders and only the names regained.
    (letter,) = [p for p in message_from_bytes(bytes(mail.raw_message)).walk() if p.get_content_type().endswith("pdf")]
    assert letter.get_filename() == f"{lift.reference}-resumes-{block.reference}.pdf"
    pages = PdfReader(BytesIO(letter.get_payload(decode=True))).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert f"Block resumes: {block.reference}" in text and lift.reference in text and "Telkom" in text
    assert "a.example.com" in text and "b.example.com" not in text and "DNS names (1)" in text
    resumed = AuditEntry.objects.get(object_id=str(block.pk), reason__startswith="blocked again after")
    assert lift.reference in resumed.reason and resumed.actor_label == "blocking sweep"


def test_a_lift_made_for_good_meanwhile_keeps_the_name_lifted_when_the_lift_for_some_days_ends(
    supervisor, second_supervisor, block, telkom, indosat
):
    for_some_days = approved_lift(block, supervisor, second_supervisor, isps=[telkom])
    with time_machine.travel(for_some_days.effective_at, tick=False):
        run_sweep()
    for_good = issued_lift(block=block, proposer=supervisor, approver=second_supervisor, names="a.example.com")
    assert sorted(for_good.recipients.values_list("isp__name", flat=True)) == ["Indosat", "Telkom"]
    assert names(telkom) == names(indosat) == ["b.example.com"]
    with time_machine.travel(for_some_days.ends_at, tick=False):
        assert run_sweep()["ended"] == 1
    assert names(telkom) == names(indosat) == ["b.example.com"]
    assert resumption_mail(for_some_days) == []


def test_the_last_names_lifted_for_good_while_a_lift_for_some_days_holds_end_the_block_when_it_ends(
    supervisor, second_supervisor, block, telkom
):
    for_some_days = approved_lift(block, supervisor, second_supervisor, names="a.example.com")
    with time_machine.travel(for_some_days.effective_at, tick=False):
        run_sweep()
    issued_lift(block=block, proposer=supervisor, approver=second_supervisor, names="b.example.com")
    block.refresh_from_db()
    assert block.status == BlockOrder.Status.IN_FORCE  # a.example.com is to come back
    # The rest, for good: by default that takes in the name the lift for some days holds out.
    rest = issued_lift(block=block, proposer=supervisor, approver=second_supervisor, effective_in=timedelta(days=2))
    assert [str(name) for name in rest.names.all()] == ["a.example.com"]
    with time_machine.travel(for_some_days.ends_at, tick=False):
        run_sweep()
    block.refresh_from_db()
    assert block.status == BlockOrder.Status.LIFTED and names() == []


def test_a_block_that_ended_during_a_lift_for_some_days_does_not_come_back(
    supervisor, second_supervisor, telkom, indosat
):
    block = order_in_force(
        proposer=supervisor,
        approver=second_supervisor,
        names="a.example.com",
        ends_at=timezone.now() + timedelta(days=3),
    )
    lift = approved_lift(block, supervisor, second_supervisor)
    with time_machine.travel(lift.effective_at, tick=False):
        run_sweep()
    with time_machine.travel(block.ends_at, tick=False):
        assert run_sweep()["ended"] == 1
    with time_machine.travel(lift.ends_at, tick=False):
        assert run_sweep()["ended"] == 1
    assert names() == [] and resumption_mail(lift) == []
