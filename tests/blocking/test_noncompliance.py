"""Non-compliance: a compliance check that finds an ISP not blocking an order's names after its deadline, or still
blocking names after a lift, tells the order's supervisors once per order, ISP and problem, and starts that
ISP's reminders (by email, through the one delivery path, every implementation period) until a check finds it
compliant. Time is frozen throughout; the ISP's resolver is a stand-in that answers as told."""

from datetime import datetime, timedelta

import pytest
import time_machine

from blocking import noncompliance, services
from blocking.models import ComplianceAlert, ComplianceCheck, OrderRecipient
from blocking.tasks import check_compliance, remind_non_compliant_isps
from notices.delivery import deliveries_about
from notices.models import Delivery, Notification
from tests.factories_blocking import ISPFactory, isp_user, issued_lift, order_in_force
from tracker.core.models import AuditEntry

pytestmark = pytest.mark.django_db

ISSUE = datetime.fromisoformat("2017-07-14T11:30:00+07:00")
DAY = timedelta(hours=24)  # BLOCKING_IMPLEMENT_DEADLINE's default, in calendar time
SECOND = timedelta(seconds=1)


class StandInResolver:
    """Answers for every ISP resolver: the names in `blocking` get the block (NXDOMAIN), others an address;
    `silent` answers nothing."""

    def __init__(self):
        self.blocking: set[str] = set()
        self.silent = False

    def __call__(self, name, host, port, timeout):
        if self.silent:
            return None, "no answer: Timeout"
        return (True, "NXDOMAIN") if name in self.blocking else (False, "NOERROR 192.0.2.80")


@pytest.fixture
def resolver(monkeypatch):
    stand_in = StandInResolver()
    monkeypatch.setattr("blocking.compliance.query", stand_in)
    return stand_in


@pytest.fixture
def approver(make_user):
    return make_user("supervisor")


def issue_at(at, *, proposer, approver, **kw):
    with time_machine.travel(at - timedelta(minutes=5), tick=False):
        return order_in_force(proposer=proposer, approver=approver, **kw)


def check_at(at, isp) -> None:
    with time_machine.travel(at, tick=False):
        check_compliance(isp.pk)


def remind_at(at) -> int:
    with time_machine.travel(at, tick=False):
        return remind_non_compliant_isps()


def reminders_to(recipient) -> list[str]:
    rows = deliveries_about(OrderRecipient, [recipient.pk]).filter(kind=Delivery.Kind.ISP_REMINDER)
    return list(rows.order_by("pk").values_list("purpose", flat=True))


def told(kind=Notification.Kind.ISP_LATE) -> list[tuple[str, str]]:
    return sorted(Notification.objects.filter(kind=kind).values_list("user__username", "title"))


def audit_of(alert, action):
    return AuditEntry.objects.filter(content_type__model="compliancealert", object_id=str(alert.pk), action=action)


def state() -> tuple:
    return (
        list(ComplianceAlert.objects.order_by("pk").values_list("status", "reminders_sent", "next_reminder_at")),
        Notification.objects.count(),
        Delivery.objects.count(),
        AuditEntry.objects.count(),
    )


def test_an_isp_not_blocking_after_its_deadline_tells_the_orders_supervisors_once(supervisor, approver, resolver):
    isp = ISPFactory(name="Lagging ISP", resolver_addresses="192.0.2.53")
    order = issue_at(ISSUE, proposer=supervisor, approver=approver)
    recipient = order.recipients.get()
    services.report_implemented(recipient=recipient, actor=isp_user(isp), now=ISSUE)  # it says so; it is not so
    deadline = recipient.implement_due_at
    assert deadline == ISSUE + DAY

    check_at(deadline - SECOND, isp)
    assert not ComplianceAlert.objects.exists()  # it still has a second
    check_at(deadline, isp)
    alert = ComplianceAlert.objects.get()
    assert (alert.recipient, alert.problem, alert.status) == (recipient, "not_blocking", "open")
    assert alert.names == ["t.me", "web.telegram.org"]
    title = f"Lagging ISP is not blocking 2 names of {order.reference} after its deadline"
    assert told() == sorted([(supervisor.username, title), (approver.username, title)])
    assert reminders_to(recipient) == ["not_blocking-1"]
    reminder = Delivery.objects.get(purpose="not_blocking-1")
    assert reminder.recipient == isp.contact_email
    assert audit_of(alert, AuditEntry.Action.CREATE).count() == 1

    before = state()
    check_at(deadline + SECOND, isp)  # found again: no one is told again, no extra reminder
    assert state() == before
    alert.refresh_from_db()
    assert alert.last_seen_at == deadline + SECOND and alert.first_seen_at == deadline


def test_the_isp_is_reminded_each_implementation_period_until_a_check_finds_it_compliant(
    supervisor, approver, resolver
):
    isp = ISPFactory(resolver_addresses="192.0.2.53")
    order = issue_at(ISSUE, proposer=supervisor, approver=approver)
    recipient = order.recipients.get()
    found = recipient.implement_due_at + timedelta(hours=2)
    check_at(found, isp)
    alert = ComplianceAlert.objects.get()
    assert alert.next_reminder_at == found + DAY

    before = state()
    assert remind_at(found) == 0  # the first reminder went when it was found
    assert remind_at(found + DAY - SECOND) == 0
    assert state() == before
    assert remind_at(found + DAY) == 1
    assert remind_at(found + DAY) == 0  # the same instant again: nothing more
    assert reminders_to(recipient) == ["not_blocking-1", "not_blocking-2"]
    alert.refresh_from_db()
    assert (alert.reminders_sent, alert.next_reminder_at) == (2, found + 2 * DAY)

    resolver.blocking = {"t.me", "web.telegram.org"}
    check_at(found + DAY + timedelta(hours=1), isp)
    alert.refresh_from_db()
    assert (alert.status, alert.next_reminder_at) == ("resolved", None)
    assert alert.resolved_at == found + DAY + timedelta(hours=1)
    entry = audit_of(alert, AuditEntry.Action.TRANSITION).get()
    assert (entry.from_state, entry.to_state) == ("open", "resolved")
    assert remind_at(found + 3 * DAY) == 0
    assert reminders_to(recipient) == ["not_blocking-1", "not_blocking-2"]


def test_a_relapse_reopens_the_alert_and_reminds_the_isp_without_telling_anyone_again(supervisor, approver, resolver):
    isp = ISPFactory(resolver_addresses="192.0.2.53")
    order = issue_at(ISSUE, proposer=supervisor, approver=approver)
    late = order.recipients.get().implement_due_at + SECOND
    check_at(late, isp)
    resolver.blocking = {"t.me", "web.telegram.org"}
    check_at(late + timedelta(hours=1), isp)
    resolver.blocking = {"t.me"}
    check_at(late + timedelta(hours=2), isp)
    alert = ComplianceAlert.objects.get()
    assert (alert.status, alert.names, alert.resolved_at) == ("open", ["web.telegram.org"], None)
    assert len(told()) == 2  # the two supervisors, once
    assert reminders_to(alert.recipient) == ["not_blocking-1", "not_blocking-2"]


def test_an_isp_still_blocking_after_a_lift_is_reported_on_the_lift_after_its_deadline(supervisor, approver, resolver):
    isp = ISPFactory(name="Sticky ISP", resolver_addresses="192.0.2.53")
    block = issue_at(ISSUE, proposer=supervisor, approver=approver)
    resolver.blocking = {"t.me", "web.telegram.org"}
    check_at(ISSUE + 2 * DAY, isp)  # compliant while the block is in force
    lifted_at = ISSUE + 3 * DAY
    with time_machine.travel(lifted_at - timedelta(hours=1), tick=False):
        lift = issued_lift(block=block, proposer=supervisor, approver=approver, names="web.telegram.org")
    lift_recipient = lift.recipients.get()
    assert lift_recipient.implement_due_at == lifted_at + DAY

    check_at(lifted_at + DAY - SECOND, isp)
    assert not ComplianceAlert.objects.exists()
    check_at(lifted_at + DAY, isp)
    alert = ComplianceAlert.objects.get()
    assert (alert.recipient, alert.problem, alert.names) == (lift_recipient, "still_blocking", ["web.telegram.org"])
    title = f"Sticky ISP still blocks 1 name after {lift.reference} lifted it"
    assert told() == sorted([(supervisor.username, title), (approver.username, title)])
    assert reminders_to(lift_recipient) == ["still_blocking-1"]


def test_an_isp_the_order_does_not_bind_is_not_reported(supervisor, approver, resolver):
    bound = ISPFactory(resolver_addresses="192.0.2.53")
    other = ISPFactory(resolver_addresses="198.51.100.53")
    issue_at(ISSUE, proposer=supervisor, approver=approver, isps=[bound])
    resolver.blocking = set()
    check_at(ISSUE + 2 * DAY, other)
    # Checked against its own list, which the order is not on: nothing to find, nothing to report.
    assert not ComplianceCheck.objects.filter(isp=other, result="non_compliant").exists()
    assert not ComplianceAlert.objects.exists() and not told()


def test_no_answer_neither_opens_nor_resolves_an_alert(supervisor, approver, resolver):
    isp = ISPFactory(resolver_addresses="192.0.2.53")
    issue_at(ISSUE, proposer=supervisor, approver=approver)
    resolver.silent = True
    check_at(ISSUE + 2 * DAY, isp)
    assert not ComplianceAlert.objects.exists()
    resolver.silent = False
    check_at(ISSUE + 2 * DAY, isp)
    resolver.silent = True
    check_at(ISSUE + 3 * DAY, isp)
    assert ComplianceAlert.objects.get().status == "open"


def test_an_alert_whose_order_no_longer_asks_it_is_resolved_not_reminded(supervisor, approver, resolver):
    isp = ISPFactory(resolver_addresses="192.0.2.53")
    block = issue_at(ISSUE, proposer=supervisor, approver=approver)
    found = ISSUE + 2 * DAY
    check_at(found, isp)
    with time_machine.travel(found + timedelta(hours=1), tick=False):
        issued_lift(block=block, proposer=supervisor, approver=approver, effective_in=timedelta(hours=1))
    block.refresh_from_db()
    assert block.status == "lifted"
    assert remind_at(found + DAY) == 0
    alert = ComplianceAlert.objects.get()
    assert (alert.status, alert.reminders_sent) == ("resolved", 1)
    entry = audit_of(alert, AuditEntry.Action.TRANSITION).get()
    assert "no longer" in entry.reason


def test_the_reminder_sweep_is_one_query_when_nothing_is_due(supervisor, approver, resolver, django_assert_num_queries):
    for size in (1, 4):
        for _ in range(size):
            isp = ISPFactory(resolver_addresses="192.0.2.53")
            issue_at(ISSUE, proposer=supervisor, approver=approver, isps=[isp], names=f"n{isp.pk}.example.com")
            check_at(ISSUE + 2 * DAY, isp)
        with time_machine.travel(ISSUE + 2 * DAY, tick=False), django_assert_num_queries(1):
            assert noncompliance.remind_due() == 0
