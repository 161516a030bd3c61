"""The notice pages: sending and recording from the case page, one notice with its evidence, replies, rebuttals,
sanctions and notifications. Permissions are enforced by the server; bad input is a form error, never a 500,
and nothing is half-saved."""

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notices import ladder, notifications, selectors, sending
from notices.models import Notice, NoticeItem, Notification, PlatformReply, Rebuttal, Sanction
from tests.factories import PlatformFactory, make_user
from tests.factories_notices import case_with_items
from tests.services import require_postgresql
from tracker.core.actors import SWEEP
from tracker.items.models import FlaggedItem

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
JAKARTA = ZoneInfo("Asia/Jakarta")


def local(value) -> str:
    """A datetime as a datetime-local input holds it, in the default user's time zone."""
    return timezone.localtime(value, JAKARTA).strftime("%Y-%m-%dT%H:%M")


def sent(liaison_officer, count=2, **kwargs):
    case, items = case_with_items(count=count, **kwargs)
    return sending.send_notice(case=case, actor=liaison_officer), items


def test_a_liaison_officer_sends_the_first_notice_from_the_case_page(client, liaison_officer):
    case, items = case_with_items(count=2)
    client.force_login(liaison_officer)
    page = client.get(reverse("cases-detail", args=[case.pk])).content.decode()
    assert "Send the next notice (First notice)" in page and reverse("notices-case-send", args=[case.pk]) in page
    form = client.get(reverse("notices-case-send", args=[case.pk])).content.decode()
    assert "step 1 of the ladder" in form and "checked" in form  # the verified items are chosen by default
    response = client.post(reverse("notices-case-send", args=[case.pk]), {"items": [items[0].pk], "send": "1"})
    notice = Notice.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("notices-detail", args=[notice.pk])
    assert notice.status == Notice.Status.SENT and [e.item for e in notice.notice_items.all()] == [items[0]]
    detail = client.get(response["Location"]).content.decode()
    assert notice.reference in detail and 'id="deliveries"' in detail and notice.deliveries.get().sha256 in detail
    assert "4 hours" in detail  # the deadline rule stored with the notice


def test_an_analyst_and_an_auditor_cannot_send_and_nothing_is_saved(client, analyst, auditor):
    case, items = case_with_items(count=1)
    for user in (analyst, auditor):
        client.force_login(user)
        assert client.get(reverse("notices-case-send", args=[case.pk])).status_code == 403
        assert client.post(reverse("notices-case-send", args=[case.pk]), {"items": [items[0].pk]}).status_code == 403
        assert client.post(reverse("notices-case-record", args=[case.pk]), {}).status_code == 403
        assert "send-next-notice" not in client.get(reverse("cases-detail", args=[case.pk])).content.decode()
    assert not Notice.objects.exists()


def test_a_platform_without_a_contact_is_a_form_error_and_nothing_is_saved(client, liaison_officer):
    case, items = case_with_items(count=1, contacts=0, platform=PlatformFactory())
    client.force_login(liaison_officer)
    response = client.post(reverse("notices-case-send", args=[case.pk]), {"items": [items[0].pk], "send": "1"})
    assert response.status_code == 200 and "has no active contact address" in response.content.decode()
    assert 'id="send-now"' not in response.content.decode()  # nothing to press while the reason stands
    assert not Notice.objects.exists() and FlaggedItem.objects.get().status == FlaggedItem.Status.VERIFIED


def test_choosing_no_item_is_a_form_error(client, liaison_officer):
    case, _items = case_with_items(count=1)
    client.force_login(liaison_officer)
    response = client.post(reverse("notices-case-send", args=[case.pk]), {"items": ["999999"], "send": "1"})
    assert response.status_code == 200 and 'id="error-items"' in response.content.decode()
    assert not Notice.objects.exists()


def test_an_auditor_reads_a_notice_and_its_evidence_but_cannot_record_anything(client, liaison_officer, auditor):
    notice, _items = sent(liaison_officer)
    client.force_login(auditor)
    assert client.get(reverse("notices-list")).status_code == 200
    page = client.get(reverse("notices-detail", args=[notice.pk])).content.decode()
    assert notice.reference in page and "record-reply" not in page
    assert client.get(reverse("notices-reply", args=[notice.pk])).status_code == 403
    assert client.post(reverse("notices-reply", args=[notice.pk]), {"summary": "x"}).status_code == 403
    assert client.post(reverse("notices-confirm", args=[notice.pk])).status_code == 403
    assert client.get(reverse("notices-rebuttal", args=[notice.pk])).status_code == 403
    eml = client.get(reverse("notices-delivery-message", args=[notice.deliveries.get().pk]))
    assert eml.status_code == 200 and eml["Content-Disposition"].endswith('.eml"')
    assert notice.reference.encode() in b"".join([eml.content])
    assert not PlatformReply.objects.exists()


def test_the_raw_message_needs_the_delivery_permission(client, liaison_officer, analyst):
    notice, _items = sent(liaison_officer)
    client.force_login(analyst)
    assert client.get(reverse("notices-detail", args=[notice.pk])).status_code == 200
    assert 'id="deliveries"' not in client.get(reverse("notices-detail", args=[notice.pk])).content.decode()
    assert client.get(reverse("notices-delivery-message", args=[notice.deliveries.get().pk])).status_code == 403


def test_a_partial_reply_with_an_attachment_leaves_the_notice_partly_answered(client, liaison_officer):
    notice, items = sent(liaison_officer)
    client.force_login(liaison_officer)
    form = client.get(reverse("notices-reply", args=[notice.pk])).content.decode()
    assert f'name="outcome_{items[0].pk}"' in form and f'name="outcome_{items[1].pk}"' in form
    response = client.post(
        reverse("notices-reply", args=[notice.pk]),
        {
            "received_at": local(timezone.now() - timedelta(minutes=30)),
            "channel": "email",
            "summary": "One channel removed; the other one is refused.",
            f"outcome_{items[0].pk}": "removed",
            f"outcome_{items[1].pk}": "refused",
            f"reason_{items[1].pk}": "Political speech, protected.",
            "attachments": SimpleUploadedFile("answer.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == Notice.Status.PARTLY_ANSWERED
    outcomes = dict(notice.notice_items.values_list("item_id", "outcome"))
    assert outcomes == {items[0].pk: "removed", items[1].pk: "refused"}
    reply = PlatformReply.objects.get()
    attachment = reply.attachments.get()
    page = client.get(reverse("notices-detail", args=[notice.pk])).content.decode()
    assert "partly answered" in page and "answer.pdf" in page and "Political speech, protected." in page
    download = client.get(reverse("notices-attachment", args=["reply", attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Security-Policy"].startswith("sandbox")


def test_a_refusal_without_its_reason_is_a_form_error_and_nothing_is_recorded(client, liaison_officer):
    notice, items = sent(liaison_officer, count=1)
    client.force_login(liaison_officer)
    response = client.post(
        reverse("notices-reply", args=[notice.pk]),
        {
            "received_at": local(timezone.now()),
            "channel": "email",
            "summary": "Refused.",
            f"outcome_{items[0].pk}": "refused",
        },
    )
    assert response.status_code == 200 and f'id="error-reason_{items[0].pk}"' in response.content.decode()
    assert not PlatformReply.objects.exists() and Notice.objects.get().status == Notice.Status.SENT


def test_a_forbidden_attachment_is_refused_on_its_field_and_nothing_is_recorded(client, liaison_officer):
    notice, items = sent(liaison_officer, count=1)
    client.force_login(liaison_officer)
    response = client.post(
        reverse("notices-reply", args=[notice.pk]),
        {
            "received_at": local(timezone.now()),
            "channel": "email",
            "summary": "Removed.",
            f"outcome_{items[0].pk}": "removed",
            "attachments": SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 200),
        },
    )
    assert response.status_code == 200 and "cannot be attached" in response.content.decode()
    assert 'id="error-attachments"' in response.content.decode()
    assert not PlatformReply.objects.exists() and Notice.objects.get().status == Notice.Status.SENT
    assert NoticeItem.objects.get().outcome == ""


def test_a_reply_dated_in_the_future_or_on_a_closed_notice_is_refused_on_the_form(client, liaison_officer):
    notice, items = sent(liaison_officer, count=1)
    client.force_login(liaison_officer)
    data = {"channel": "email", "summary": "Removed.", f"outcome_{items[0].pk}": "removed"}
    future = client.post(
        reverse("notices-reply", args=[notice.pk]), {**data, "received_at": local(timezone.now() + timedelta(days=2))}
    )
    assert future.status_code == 200 and 'id="error-received_at"' in future.content.decode()
    assert not PlatformReply.objects.exists()
    client.post(reverse("notices-reply", args=[notice.pk]), {**data, "received_at": local(timezone.now())})
    assert Notice.objects.get().status == Notice.Status.ANSWERED
    again = client.post(reverse("notices-reply", args=[notice.pk]), {**data, "received_at": local(timezone.now())})
    assert again.status_code == 200 and "takes no more replies" in again.content.decode()
    assert PlatformReply.objects.count() == 1


def test_a_past_notice_is_recorded_with_its_real_date_and_marked_so(client, liaison_officer):
    case, items = case_with_items(count=2, urgency="normal")
    client.force_login(liaison_officer)
    sent_at = timezone.now() - timedelta(days=400)
    response = client.post(
        reverse("notices-case-record", args=[case.pk]),
        {
            "sent_at": local(sent_at),
            "items": [item.pk for item in items],
            "recipients": "abuse@telegram.example\n",
            "sent_by_label": "humas@ministry.example",
        },
    )
    notice = Notice.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("notices-detail", args=[notice.pk])
    assert notice.recorded_afterwards and notice.status == Notice.Status.LAPSED
    assert notice.recipients == ["abuse@telegram.example"] and not notice.deliveries.exists()
    page = client.get(response["Location"]).content.decode()
    assert "recorded afterwards" in page and liaison_officer.display_name in page
    assert "Sent outside the tracker" in page


def test_a_past_notice_dated_in_the_future_or_to_a_bad_address_is_a_form_error(client, liaison_officer):
    case, items = case_with_items(count=1)
    client.force_login(liaison_officer)
    url = reverse("notices-case-record", args=[case.pk])
    future = client.post(url, {"sent_at": local(timezone.now() + timedelta(days=3)), "items": [items[0].pk]})
    assert future.status_code == 200 and 'id="error-sent_at"' in future.content.decode()
    bad = client.post(url, {"sent_at": local(timezone.now()), "items": [items[0].pk], "recipients": "not an address"})
    assert bad.status_code == 200 and 'id="error-recipients"' in bad.content.decode()
    assert not Notice.objects.exists()


def test_a_prepared_step_is_confirmed_from_its_page(client, liaison_officer):
    case, _items = case_with_items(count=1)
    notice = sending.prepare_notice(case=case, actor=SWEEP)
    client.force_login(liaison_officer)
    page = client.get(reverse("notices-detail", args=[notice.pk])).content.decode()
    assert 'id="confirm-notice"' in page
    client.post(reverse("notices-confirm", args=[notice.pk]))
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT and notice.sent_by == liaison_officer
    again = client.post(reverse("notices-confirm", args=[notice.pk]), follow=True)
    assert "not waiting for confirmation" in again.content.decode()


def test_a_rebuttal_is_recorded_and_only_a_supervisor_decides_it(client, liaison_officer, supervisor):
    notice, items = sent(liaison_officer)
    entry = notice.notice_items.get(item=items[0])
    client.force_login(liaison_officer)
    response = client.post(
        reverse("notices-rebuttal", args=[notice.pk]),
        {
            "notice_item": entry.pk,
            "received_at": local(timezone.now()),
            "reasons": "The channel is satire.",
            "attachments": SimpleUploadedFile("objection.pdf", PDF),
        },
    )
    assert response.status_code == 302
    rebuttal = Rebuttal.objects.get()
    assert rebuttal.attachments.count() == 1
    assert "decide-form" not in client.get(reverse("notices-detail", args=[notice.pk])).content.decode()
    decide = reverse("notices-rebuttal-decide", args=[rebuttal.pk])
    assert client.post(decide, {"decision": "withdrawn", "reason": "ok"}).status_code == 403
    client.force_login(supervisor)
    assert "decide-form" in client.get(reverse("notices-detail", args=[notice.pk])).content.decode()
    missing = client.post(decide, {"decision": "withdrawn"}, follow=True)
    assert "This field is required" in missing.content.decode()
    assert Rebuttal.objects.get().decision == ""
    client.post(decide, {"decision": "withdrawn", "reason": "Satire indeed."})
    rebuttal.refresh_from_db()
    assert rebuttal.decision == Rebuttal.Decision.WITHDRAWN and rebuttal.decided_by == supervisor


def test_an_empty_rebuttal_is_a_form_error(client, liaison_officer):
    notice, _items = sent(liaison_officer, count=1)
    client.force_login(liaison_officer)
    response = client.post(
        reverse("notices-rebuttal", args=[notice.pk]),
        {"notice_item": notice.notice_items.get().pk, "received_at": local(timezone.now()), "reasons": "  "},
    )
    assert response.status_code == 200 and 'id="error-reasons"' in response.content.decode()
    assert not Rebuttal.objects.exists()


def test_a_sanction_shows_on_the_case_page_and_a_supervisor_changes_its_state(client, liaison_officer, supervisor):
    case, _items = case_with_items(count=1, urgency="normal")
    step = ladder.next_step_for(case)
    step.sanction_amount = Decimal("500000000")
    step.save()
    sending.send_notice(case=case, actor=liaison_officer)
    sanction = Sanction.objects.get()
    client.force_login(liaison_officer)
    page = client.get(reverse("cases-detail", args=[case.pk])).content.decode()
    assert "IDR 500,000,000.00" in page and "sanction-form" not in page
    url = reverse("notices-sanction-state", args=[sanction.pk])
    assert client.post(url, {"to_state": "committed"}).status_code == 403
    client.force_login(supervisor)
    assert "sanction-form" in client.get(reverse("cases-detail", args=[case.pk])).content.decode()
    waived = client.post(url, {"to_state": "waived"}, follow=True)
    assert "reasons for waiving" in waived.content.decode() and Sanction.objects.get().state == "imposed"
    client.post(url, {"to_state": "committed", "note": "Letter of 2 April"})
    assert Sanction.objects.get().state == "committed"
    wrong = client.post(url, {"to_state": "imposed"}, follow=True)
    assert wrong.status_code == 200 and Sanction.objects.get().state == "committed"


def test_the_notice_list_filters_and_exports(client, liaison_officer):
    first, _ = sent(liaison_officer, count=1)
    second, _ = sent(liaison_officer, count=1)
    Notice.objects.filter(pk=second.pk).update(deadline_at=timezone.now() - timedelta(hours=1))
    client.force_login(liaison_officer)
    page = client.get(reverse("notices-list"), {"overdue": "true"}).content.decode()
    assert second.reference in page and first.reference not in page
    page = client.get(reverse("notices-list"), {"case": first.case_id}).content.decode()
    assert first.reference in page and second.reference not in page
    assert client.get(reverse("notices-list"), {"sent_after": "not a date"}).status_code == 200
    csv = b"".join(client.get(reverse("notices-list"), {"format": "csv", "step_kind": "notice"}).streaming_content)
    assert csv.startswith(b"reference,") and first.reference.encode() in csv and second.reference.encode() in csv


def test_notifications_unread_first_marked_read_one_or_all_and_counted_in_the_header(
    client, liaison_officer, supervisor
):
    old = notifications.notify(liaison_officer, kind="deadline_reminder", case=None, notice=None, title="Old news")
    Notification.objects.filter(pk=old.pk).update(read_at=timezone.now(), created_at=timezone.now())
    first = notifications.notify(
        liaison_officer, kind="deadline_reminder", case=None, notice=None, title="Deadline soon"
    )
    notifications.notify(liaison_officer, kind="step_prepared", case=None, notice=None, title="Confirm the next step")
    theirs = notifications.notify(supervisor, kind="rebuttal", case=None, notice=None, title="Not yours")
    client.force_login(liaison_officer)
    page = client.get(reverse("notifications-list")).content.decode()
    assert page.index("Confirm the next step") < page.index("Deadline soon") < page.index("Old news")
    assert "Not yours" not in page
    header = client.get(reverse("home")).content.decode()
    assert 'id="notification-count"' in header and '<span class="badge overdue">2</span>' in header
    client.post(reverse("notifications-read", args=[first.pk]))
    client.post(reverse("notifications-read", args=[theirs.pk]))  # another's: untouched
    assert Notification.objects.filter(read_at__isnull=True).count() == 2
    client.post(reverse("notifications-read-all"))
    assert list(Notification.objects.filter(read_at__isnull=True)) == [theirs]


def test_following_a_notification_marks_it_read_and_leads_to_its_notice(client, liaison_officer, supervisor):
    case, _items = case_with_items(count=1)
    notice = sending.send_notice(case=case, actor=liaison_officer)
    mine = notifications.notify(liaison_officer, kind="deadline_reminder", case=case, notice=notice, title="Due soon")
    theirs = notifications.notify(supervisor, kind="rebuttal", case=case, notice=notice, title="Not yours")
    client.force_login(liaison_officer)
    assert reverse("notifications-open", args=[mine.pk]) in client.get(reverse("notifications-list")).content.decode()
    response = client.get(reverse("notifications-open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("notices-detail", args=[notice.pk])
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.get(reverse("notifications-open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_an_unknown_attachment_kind_or_notice_is_a_404(client, liaison_officer):
    client.force_login(liaison_officer)
    assert client.get(reverse("notices-attachment", args=["nothing", 1])).status_code == 404
    assert client.get(reverse("notices-detail", args=[999999])).status_code == 404
    assert client.get(reverse("notices-reply", args=[999999])).status_code == 404


def test_outcome_choices_match_the_model():
    from notices.forms import OUTCOME_CHOICES

    assert {value for value, _label in OUTCOME_CHOICES} == set(NoticeItem.Outcome.values)


def test_the_unread_count_beside_a_name_is_the_querysets_count_read_by_a_prepared_statement(
    liaison_officer, supervisor
):
    require_postgresql()
    for title in ("one", "two", "three"):
        notifications.notify(liaison_officer, kind="deadline_reminder", case=None, notice=None, title=title)
    Notification.objects.filter(title="one").update(read_at=timezone.now())
    notifications.notify(supervisor, kind="rebuttal", case=None, notice=None, title="theirs")
    for person in (liaison_officer, supervisor, make_user("auditor")):
        assert selectors.unread_count(person) == selectors.unread_notifications(person).count()
    assert selectors.unread_count(liaison_officer) == 2
    with CaptureQueriesContext(connection) as queries:
        selectors.unread_count(liaison_officer)
    assert [query["sql"].split("(")[0] for query in queries] == ["EXECUTE tracker_unread_count"]
