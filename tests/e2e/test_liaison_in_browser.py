"""Done when (issue 5): a liaison officer, in real headless Chromium, sends a case's first notice from the case
page, finds it on the home page with its deadline, records a partial reply (one item removed, one refused) with
an attachment, and sees the notice partly answered and the case timeline. Time cannot be frozen in the
browser, so deadlines are checked against the notice as stored, relative to now."""

from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from notices.models import Notice, PlatformReply
from tests.factories_notices import case_with_items
from tracker.core.templatetags.human_time import format_human_time

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def test_a_liaison_officer_sends_a_notice_and_records_a_partial_reply(page, login, make_user):
    officer = make_user("liaison_officer")
    case, (removed, refused) = case_with_items(count=2, urgency="urgent", owner=officer)
    login(officer)

    page.goto(f"/cases/{case.pk}/")
    page.click("#send-next-notice")
    assert "step 1 of the ladder" in page.locator("#next-step").inner_text()
    checkboxes = page.locator("#send-notice-form input[type=checkbox]")
    assert checkboxes.count() == 2 and all(checkboxes.nth(i).is_checked() for i in range(2))
    page.click("#preview-notice")
    assert page.locator("#preview-recipients").inner_text() and not Notice.objects.exists()
    page.click("#send-now")
    notice = Notice.objects.get()
    assert page.locator("#notice-status").inner_text() == "sent, awaiting reply"
    assert notice.reference in page.locator("h1").inner_text() and notice.status == Notice.Status.SENT

    # Home: the notice awaits a reply, its deadline in the officer's time zone and in words.
    page.goto("/")
    row = page.locator("#awaiting-reply tbody tr", has_text=notice.reference)
    due = format_human_time(notice.deadline_at, ZoneInfo("Asia/Jakarta"))
    assert due in row.inner_text()
    hours_left = int((notice.deadline_at - timezone.now()).total_seconds() // 3600)
    words = row.locator(".deadline-phrase").inner_text()
    assert words in {f"in {hours_left} h", f"in {hours_left - 1} h"} if hours_left else words.endswith(" min"), words

    row.locator("a", has_text=notice.reference).click()
    page.click("#record-reply")
    page.select_option("#id_channel", value="email")
    page.fill("#id_summary", "The platform removed one channel and refuses the other.")
    page.select_option(f"select[name=outcome_{removed.pk}]", value="removed")
    page.select_option(f"select[name=outcome_{refused.pk}]", value="refused")
    page.fill(f"input[name=reason_{refused.pk}]", "Political commentary, not incitement.")
    page.set_input_files("#id_attachments", files=[{"name": "reply.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("#reply-form button[type=submit]")

    assert page.locator("#notice-status").inner_text() == "partly answered"
    outcomes = page.locator("#notice-items").inner_text()
    assert "removed" in outcomes and "refused" in outcomes and "Political commentary" in outcomes
    assert page.locator("#replies a", has_text="reply.pdf").count() == 1
    assert PlatformReply.objects.get().attachments.get().original_name == "reply.pdf"

    page.goto(f"/cases/{case.pk}/")
    timeline = page.locator("#case-timeline").inner_text()
    assert f"First notice {notice.reference} sent" in timeline
    assert f"Reply to {notice.reference} (email)" in timeline
    assert page.locator("#case-notices", has_text="partly answered").count() == 1
