"""ISP deadlines: computed by the notices' deadline rules, stored with each ISP, chased by the sweep with
reminders before and at each deadline and an escalation, to the ISP by email and to the supervisors and the
case owner in the app and by email. Time is frozen throughout."""

from datetime import datetime, timedelta
from email import message_from_bytes

import pytest
import time_machine
from django.core import mail
from django.test import override_settings

from blocking import services
from blocking.models import OrderRecipient
from blocking.tasks import run_sweep
from notices import delivery
from notices.delivery import deliveries_about
from notices.models import EscalationPolicy, Notification
from tests.factories import CaseFactory
from tests.factories_blocking import ISPFactory, isp_user, order_in_force
from tests.factories_notices import ladder
from tracker.core.models import AuditEntry

pytestmark = pytest.mark.django_db

# Friday 14 July 2017, 11:30 WIB: the time the Telegram order took effect.
ISSUE = datetime.fromisoformat("2017-07-14T11:30:00+07:00")
BUSINESS_HOURS = {"BLOCKING_DEADLINE_BUSINESS_HOURS": True}


@pytest.fixture
def approver(make_user):
    return make_user("supervisor")


def send_all_about(record, purpose: str | None = None) -> list[str]:
    """Send, as the worker would, every message about `record` (of that purpose); their outcomes."""
    rows = deliveries_about(type(record), [record.pk])
    if purpose is not None:
        rows = rows.filter(purpose=purpose)
    return [delivery.send_delivery(delivery_id=pk) for pk in rows.values_list("pk", flat=True)]


def issue_at(at, *, proposer, approver, **kw):
    """An order approved five minutes before `at` and issued at `at` (with every ISP bound)."""
    with time_machine.travel(at - timedelta(minutes=5), tick=False):
        return order_in_force(proposer=proposer, approver=approver, **kw)


def sweep_at(at) -> dict:
    with time_machine.travel(at, tick=False):
        return run_sweep()


def state() -> tuple:
    return (
        list(
            OrderRecipient.objects.order_by("pk").values_list(
                "pk", "next_action_at", "chased_until", "reminders_sent", "escalated_at"
            )
        ),
        Notification.objects.count(),
        AuditEntry.objects.count(),
    )


def test_calendar_deadlines_are_computed_from_issue_and_their_rule_stored_with_each_isp(supervisor, approver):
    ladder()
    ISPFactory(), ISPFactory()
    order = issue_at(ISSUE, proposer=supervisor, approver=approver)
    for recipient in order.recipients.all():
        assert recipient.acknowledge_due_at == ISSUE + timedelta(hours=4)
        assert recipient.implement_due_at == ISSUE + timedelta(hours=24)
        assert recipient.acknowledge_rule["minutes"] == 240 and recipient.acknowledge_rule["business_hours"] is False
        assert recipient.implement_rule_text() == "24 hours"
        assert recipient.next_action_at == ISSUE + timedelta(hours=3)  # the reminder an hour before


@override_settings(**BUSINESS_HOURS, BLOCKING_ACK_DEADLINE=240, BLOCKING_IMPLEMENT_DEADLINE=24 * 60)
def test_business_hour_deadlines_skip_the_weekend_and_the_order_page_says_how(client, supervisor, approver):
    ladder()
    ISPFactory()
    order = issue_at(ISSUE, proposer=supervisor, approver=approver)
    recipient = order.recipients.get()
    # Office hours 08:00-16:00 WIB: 4 h that Friday; 4.5 h Friday, Monday and Tuesday, 3.5 h Wednesday.
    assert recipient.acknowledge_due_at == datetime.fromisoformat("2017-07-14T15:30:00+07:00")
    assert recipient.implement_due_at == datetime.fromisoformat("2017-07-19T11:30:00+07:00")
    client.force_login(supervisor)
    page = client.get(f"/blocking/orders/{order.pk}/").content.decode()
    assert (
        "Each ISP must acknowledge within 4 business hours (Mon–Fri 08:00–16:00 Asia/Jakarta, ID public holidays)"
        " and report the order implemented within 24 business hours" in page
    )


@override_settings(**BUSINESS_HOURS)
def test_a_national_holiday_does_not_count(supervisor, approver):
    ladder()
    ISPFactory()
    # Wednesday 16 August 2017, 15:00 WIB: one office hour left, then Independence Day (Thursday 17 August).
    order = issue_at(datetime.fromisoformat("2017-08-16T15:00:00+07:00"), proposer=supervisor, approver=approver)
    assert order.recipients.get().acknowledge_due_at == datetime.fromisoformat("2017-08-18T11:00:00+07:00")


@override_settings(**BUSINESS_HOURS)
def test_the_time_zone_and_holidays_are_the_default_escalation_policys(supervisor, approver):
    EscalationPolicy.objects.filter(pk=ladder().pk).update(time_zone="Asia/Makassar", holiday_country="MY")
    ISPFactory()
    order = issue_at(ISSUE, proposer=supervisor, approver=approver)
    rule = order.recipients.get().acknowledge_rule
    assert (rule["time_zone"], rule["holiday_country"]) == ("Asia/Makassar", "MY")
    # 11:30 WIB is 12:30 in Makassar; four office hours end at 16:00 there, then 08:00-08:30 on Monday.
    assert order.recipients.get().acknowledge_due_at == datetime.fromisoformat("2017-07-17T08:30:00+08:00")
    with override_settings(BLOCKING_DEADLINE_TIME_ZONE="Asia/Jakarta", BLOCKING_DEADLINE_HOLIDAY_COUNTRY="ID"):
        assert services.deadline_rules()[0].time_zone == "Asia/Jakarta"


@pytest.mark.parametrize(("offset", "late"), [(-1, False), (0, True), (1, True)])
def test_the_acknowledgement_deadline_passes_exactly_at_its_instant(supervisor, approver, offset, late):
    ISPFactory(name="Telkom")
    order = issue_at(ISSUE, proposer=supervisor, approver=approver)
    recipient = order.recipients.get()
    due = recipient.acknowledge_due_at
    assert sweep_at(due - timedelta(hours=1))["reminded"] == 1  # the reminder before the deadline
    at = due + timedelta(seconds=offset)
    assert sweep_at(at)["reminded"] == int(late)
    recipient.refresh_from_db()
    assert recipient.is_overdue(at) is late
    lapsed = Notification.objects.filter(kind=Notification.Kind.ISP_LATE, title__contains="not acknowledged by")
    assert lapsed.count() == (2 if late else 0)  # the proposer and the approver (no case)


@pytest.mark.parametrize(("offset", "escalated"), [(-1, 0), (0, 1), (1, 1)])
def test_the_implementation_deadline_escalates_exactly_at_its_instant(supervisor, approver, offset, escalated):
    ISPFactory()
    order = issue_at(ISSUE, proposer=supervisor, approver=approver)
    due = order.recipients.get().implement_due_at
    sweep_at(due - timedelta(hours=1))
    assert sweep_at(due + timedelta(seconds=offset))["escalated"] == escalated
    recipient = OrderRecipient.objects.get()
    assert (recipient.escalated_at is not None) == bool(escalated)
    assert recipient.next_action_at == (None if escalated else due)


def test_reminders_and_escalation_reach_the_isp_the_supervisors_and_the_case_owner(
    supervisor, approver, liaison_officer, django_capture_on_commit_callbacks
):
    ISPFactory(name="Telkom", contact_email="noc@telkom.example")
    case = CaseFactory(owner=liaison_officer)
    order = issue_at(ISSUE, proposer=supervisor, approver=approver, case=case)
    recipient = order.recipients.get()
    staff = {supervisor.pk, approver.pk, liaison_officer.pk}

    with django_capture_on_commit_callbacks() as queued:
        assert sweep_at(recipient.acknowledge_due_at - timedelta(hours=1))["reminded"] == 1
    assert len(queued) == 4  # the ISP's reminder, and one email for each of the three notifications
    soon = Notification.objects.filter(kind=Notification.Kind.ISP_LATE)
    assert {n.user_id for n in soon} == staff
    first = soon.first()
    assert first.title == f"Telkom has not yet acknowledged {order.reference}: due in 1 h 00 min"
    assert first.link == f"/blocking/orders/{order.pk}/" and first.case == case
    assert "4 hours" in first.body
    assert send_all_about(first) == ["sent"]
    assert mail.outbox[-1].to == [first.user.email]
    assert send_all_about(recipient, purpose="acknowledge_soon-60") == ["sent"]
    assert mail.outbox[-1].to == ["noc@telkom.example"]
    assert mail.outbox[-1].subject == f"[{order.reference}] Reminder: acknowledge"

    sweep_at(recipient.acknowledge_due_at)
    sweep_at(recipient.implement_due_at - timedelta(hours=1))
    with django_capture_on_commit_callbacks() as queued:
        assert sweep_at(recipient.implement_due_at)["escalated"] == 1
    assert len(queued) == 4
    escalation = Notification.objects.filter(title__startswith="Escalation: Telkom")
    assert {n.user_id for n in escalation} == staff
    assert "2017-07-15 11:30 WIB" in escalation.first().title
    assert send_all_about(recipient, purpose="escalated-0") == ["sent"] * 3  # the ISP and the two supervisors
    escalated = mail.outbox[-3:]
    assert {message.subject for message in escalated} == {f"[{order.reference}] Escalation"}
    assert sorted(message.to[0] for message in escalated) == sorted(
        ["noc@telkom.example", supervisor.email, approver.email]
    )
    copied = message_from_bytes(escalated[0].message().as_bytes())
    assert sorted(copied["Cc"].split(", ")) == sorted([supervisor.email, approver.email])
    assert Notification.objects.filter(kind=Notification.Kind.ISP_LATE).count() == 4 * 3


def test_a_second_sweep_at_the_same_instant_changes_nothing(supervisor, approver, django_capture_on_commit_callbacks):
    for _ in range(3):
        ISPFactory()
    order = issue_at(ISSUE, proposer=supervisor, approver=approver)
    due = order.recipients.first().acknowledge_due_at
    assert sweep_at(due)["reminded"] == 3
    before = state()
    with django_capture_on_commit_callbacks() as queued:
        assert sweep_at(due) == {"issued": 0, "ended": 0, "reminded": 0, "escalated": 0}
        with time_machine.travel(due, tick=False):
            for recipient_id in OrderRecipient.objects.values_list("pk", flat=True):  # a duplicated call too
                assert services.chase_recipient(recipient_id=recipient_id) is None
    assert state() == before
    assert queued == []


def test_an_isp_that_reports_is_chased_no_more_for_what_it_did(supervisor, approver):
    isp = ISPFactory()
    order = issue_at(ISSUE, proposer=supervisor, approver=approver)
    recipient = order.recipients.get()
    with time_machine.travel(ISSUE + timedelta(minutes=30), tick=False):
        services.acknowledge_order(recipient=recipient, actor=isp_user(isp))
    recipient.refresh_from_db()
    assert recipient.next_action_at == recipient.implement_due_at - timedelta(hours=1)
    assert sweep_at(recipient.acknowledge_due_at)["reminded"] == 0
    with time_machine.travel(ISSUE + timedelta(hours=2), tick=False):
        services.report_implemented(recipient=recipient, actor=isp.accounts.get().user)
    recipient.refresh_from_db()
    assert recipient.next_action_at is None
    assert sweep_at(recipient.implement_due_at + timedelta(days=1)) == {
        "issued": 0,
        "ended": 0,
        "reminded": 0,
        "escalated": 0,
    }
    assert not Notification.objects.exists()


def test_a_sweep_that_was_down_sends_only_the_latest_step(supervisor, approver):
    ISPFactory()
    order = issue_at(ISSUE, proposer=supervisor, approver=approver)
    due = order.recipients.get().implement_due_at
    assert sweep_at(due + timedelta(hours=2)) == {"issued": 0, "ended": 0, "reminded": 0, "escalated": 1}
    assert Notification.objects.count() == 2  # one escalation each to the proposer and the approver


@override_settings(BLOCKING_ISP_REMINDERS=[])
def test_without_reminders_before_only_the_deadlines_chase(supervisor, approver):
    ISPFactory()
    order = issue_at(ISSUE, proposer=supervisor, approver=approver)
    recipient = order.recipients.get()
    assert recipient.next_action_at == recipient.acknowledge_due_at
    assert sweep_at(recipient.acknowledge_due_at)["reminded"] == 1
    assert OrderRecipient.objects.get().next_action_at == recipient.implement_due_at


@pytest.mark.parametrize("isps", [1, 6])
def test_a_sweep_with_nothing_due_costs_the_same_however_many_isps_wait(
    supervisor, approver, django_assert_num_queries, isps
):
    for _ in range(isps):
        ISPFactory()
    order = issue_at(ISSUE, proposer=supervisor, approver=approver)
    with time_machine.travel(ISSUE + timedelta(minutes=10), tick=False), django_assert_num_queries(2):
        run_sweep()  # due orders, due ISPs: two indexed queries
    assert order.recipients.count() == isps


@override_settings(BLOCKING_ACK_DEADLINE=0)
def test_a_bad_deadline_setting_is_reported_by_the_system_check():
    from blocking.checks import isp_deadline_settings

    assert [error.id for error in isp_deadline_settings(None)] == ["blocking.E001"]
