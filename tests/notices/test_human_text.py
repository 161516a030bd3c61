"""Issue 14, "developer text shows through": what is stored or sent reads as people write times, in the ministry's
zone with its name (WIB), never as ISO timestamps with microseconds, and a date is the local date."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from blocking.models import OrderRecipient
from notices import delivery, replies, sending
from notices.delivery import deliveries_about
from tests.factories_blocking import ISPFactory, order_in_force
from tests.factories_notices import case_with_items
from tracker.core.models import AuditEntry
from tracker.core.templatetags.human_time import format_human_time, human_time_utc

pytestmark = pytest.mark.django_db

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def test_the_stored_reason_of_a_sent_notice_gives_the_deadline_as_people_read_it(liaison_officer):
    with time_machine.travel(datetime(2026, 12, 4, 2, 0, tzinfo=UTC), tick=False):
        notice = sending.send_notice(case=case_with_items(count=1)[0], actor=liaison_officer)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.TRANSITION, to_state="sent", object_id=str(notice.pk))
    assert f"reply due {format_human_time(notice.deadline_at)}" in entry.reason
    assert "WIB" in entry.reason and not ISO.search(entry.reason)


def test_the_isp_order_email_gives_local_times_with_the_zone_and_the_same_instant_in_utc(supervisor, make_user):
    ISPFactory()
    order = order_in_force(proposer=supervisor, approver=make_user("supervisor"))
    (order_mail,) = deliveries_about(OrderRecipient, [OrderRecipient.objects.get().pk])
    delivery.send_delivery(delivery_id=order_mail.pk)
    body = mail.outbox[-1].body
    assert f"takes effect at {format_human_time(order.effective_at)} ({human_time_utc(order.effective_at)})" in body
    assert "WIB" in body and "UTC" in body and not ISO.search(body)
    due = OrderRecipient.objects.get().acknowledge_due_at
    assert f"Acknowledge it by {format_human_time(due)}" in body


def test_a_reply_received_at_twenty_past_midnight_in_jakarta_carries_the_jakarta_date(liaison_officer):
    with time_machine.travel(datetime(2026, 12, 3, 2, 0, tzinfo=UTC), tick=False):
        notice = sending.send_notice(case=case_with_items(count=1)[0], actor=liaison_officer)
    item = notice.notice_items.get().item
    arrived = datetime(2026, 12, 4, 17, 20, tzinfo=UTC)  # 5 Dec 2026, 00:20 WIB
    with time_machine.travel(arrived + timedelta(minutes=1), tick=False):
        reply = replies.record_platform_reply(
            notice=notice,
            actor=liaison_officer,
            received_at=arrived,
            channel="email",
            summary="Removed.",
            outcomes={item.pk: "removed"},
        )
    assert str(reply).endswith("reply of 2026-12-05")
    assert format_human_time(arrived) == "5 Dec 2026, 00:20 WIB"
