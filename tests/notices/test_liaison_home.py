"""A liaison officer's home: notices awaiting a reply (overdue first, then the nearest deadline, in the user's
time zone and in words), steps waiting for confirmation, unread notifications, inbound mail in triage. The
number of queries does not grow with the number of notices."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from notices import notifications, selectors, sending
from notices.models import InboundMail, Notice
from tests.factories_notices import case_with_items
from tracker.core.actors import SWEEP
from tracker.evidence.services import store_evidence_file

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-03-02T10:00:00+07:00")  # a Monday, office hours in Jakarta


def notice_due(liaison_officer, due_in: timedelta) -> Notice:
    case, _items = case_with_items(count=1)
    notice = sending.send_notice(case=case, actor=liaison_officer, now=NOW - timedelta(days=5))
    Notice.objects.filter(pk=notice.pk).update(deadline_at=NOW + due_in)
    return notice


def test_awaiting_notices_come_overdue_first_then_by_nearest_deadline_with_words(client, liaison_officer):
    later = notice_due(liaison_officer, timedelta(days=3))
    soon = notice_due(liaison_officer, timedelta(hours=3, minutes=10))
    late = notice_due(liaison_officer, -timedelta(days=2, hours=1))
    a_little_late = notice_due(liaison_officer, -timedelta(minutes=20))
    answered = notice_due(liaison_officer, timedelta(hours=1))
    Notice.objects.filter(pk=answered.pk).update(status=Notice.Status.ANSWERED)
    client.force_login(liaison_officer)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("home")).content.decode()
    order = [page.index(n.reference) for n in (late, a_little_late, soon, later)]
    assert (
        order == sorted(order) and answered.reference not in page.split('id="awaiting-reply"')[1].split("</table>")[0]
    )
    assert "2 days overdue" in page and "20 min overdue" in page and "in 3 h" in page and "in 3 days" in page
    assert "2 Mar 2026, 13:10 WIB" in page  # Jakarta time, named


def test_deadlines_are_shown_in_the_users_own_time_zone(client, make_user):
    officer = make_user("liaison_officer", time_zone="Europe/Paris")
    notice_due(officer, timedelta(hours=5))
    client.force_login(officer)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("home")).content.decode()
    assert "2 Mar 2026, 09:00 CET" in page  # 15:00 in Jakarta is 09:00 in Paris


def test_the_desk_shows_prepared_steps_unread_notifications_and_mail_in_triage(client, liaison_officer):
    case, _items = case_with_items(count=1)
    prepared = sending.prepare_notice(case=case, actor=SWEEP)
    notifications.notify(
        liaison_officer, kind="step_prepared", case=case, notice=prepared, title="Confirm the final warning"
    )
    raw = store_evidence_file(SimpleUploadedFile("m.eml", b"From: someone@example.org\n\nHello\n"))
    InboundMail.objects.create(
        raw_file=raw, sha256=raw.sha256, size=raw.size, source="upload", kind="message", state="triage"
    )
    client.force_login(liaison_officer)
    page = client.get(reverse("home")).content.decode()
    prepared_list = page.split('id="prepared-steps"')[1].split("</ul>")[0]
    assert prepared.reference in prepared_list
    assert "Confirm the final warning" in page.split('id="home-notifications"')[1]
    assert '<span class="badge warn" id="triage-count">1</span>' in page
    assert 'href="/notices/mail/?state=triage" id="triage-link"' in page


def test_an_analyst_sees_the_notices_but_not_the_mail_in_triage(client, analyst, liaison_officer):
    notice = notice_due(liaison_officer, timedelta(hours=2))
    client.force_login(analyst)
    page = client.get(reverse("home")).content.decode()
    assert notice.reference in page and "triage-count" not in page


def test_the_desk_is_not_shown_without_the_notices_permission(client, make_user):
    client.force_login(make_user("isp"))
    assert "liaison-desk" not in client.get(reverse("home")).content.decode()


def test_deadline_words():
    assert selectors.deadline_phrase(NOW + timedelta(minutes=59, seconds=30), NOW) == "in 59 min"
    assert selectors.deadline_phrase(NOW + timedelta(seconds=10), NOW) == "in 1 min"
    assert selectors.deadline_phrase(NOW, NOW) == "1 min overdue"
    assert selectors.deadline_phrase(NOW + timedelta(hours=47), NOW) == "in 47 h"
    assert selectors.deadline_phrase(NOW - timedelta(days=1), NOW) == "24 h overdue"
    assert selectors.deadline_phrase(NOW - timedelta(days=2), NOW) == "2 days overdue"
    assert selectors.deadline_phrase(None, NOW) == ""


@pytest.mark.parametrize("count", [1, 6])
def test_the_home_page_query_count_does_not_grow_with_the_notices(
    client, liaison_officer, django_assert_num_queries, count
):
    for number in range(count):
        notice = notice_due(liaison_officer, timedelta(hours=number - 2))
        notifications.notify(
            liaison_officer, kind="deadline_reminder", case=notice.case, notice=notice, title=f"n{number}"
        )
        case, _items = case_with_items(count=1)
        sending.prepare_notice(case=case, actor=SWEEP)
    client.force_login(liaison_officer)
    client.get(reverse("home"))  # warm the caches of content types and permissions
    with django_assert_num_queries(HOME_QUERIES):
        assert client.get(reverse("home")).status_code == 200


# The session, the person with their permissions (one statement), the header's unread count, then the desk:
# awaiting, prepared, unread notifications and their count, mail in triage (the awaiting count only when the list
# is cut short).
HOME_QUERIES = 9
