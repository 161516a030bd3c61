"""Issue 14, "sending a notice": the page offers a send only when it would succeed, says why when it would not,
and shows the text, the recipients and the deadline before anything is sent (in the UI and the API)."""

import pytest
from django.urls import reverse

from notices import sending
from notices.models import Notice, ReferenceSequence
from tests.factories import FlaggedItemFactory, PlatformFactory
from tests.factories_notices import case_with_items
from tracker.cases.models import CaseItem
from tracker.core.errors import NotPermitted
from tracker.core.templatetags.human_time import format_human_time
from tracker.items.models import FlaggedItem

pytestmark = pytest.mark.django_db


def _case_page(client, case) -> str:
    return client.get(reverse("cases-detail", args=[case.pk])).content.decode()


def test_the_finding_a_case_whose_remaining_item_is_unverified_offers_no_send_and_says_why(client, liaison_officer):
    case, (item,) = case_with_items(count=1)
    FlaggedItem.objects.filter(pk=item.pk).update(status=FlaggedItem.Status.NEW)
    client.force_login(liaison_officer)
    page = _case_page(client, case)
    assert 'id="send-next-notice"' not in page
    assert "1 item waits for a second analyst to verify it" in page
    form = client.get(reverse("notices-case-send", args=[case.pk])).content.decode()
    assert 'id="send-blockers"' in form and 'id="send-notice-form"' not in form
    refused = client.post(reverse("notices-case-send", args=[case.pk]), {"items": [item.pk], "send": "1"})
    assert "This field is required." not in refused.content.decode() and not Notice.objects.exists()


def test_a_platform_without_contacts_is_named_before_the_button_is_offered(client, liaison_officer):
    case, _items = case_with_items(count=1, contacts=0, platform=PlatformFactory(name="Telegram"))
    client.force_login(liaison_officer)
    page = _case_page(client, case)
    assert 'id="send-next-notice"' not in page and "Telegram has no active contact address" in page


def test_items_already_in_a_notice_awaiting_reply_leave_nothing_to_send(liaison_officer):
    case, _items = case_with_items(count=1)
    sending.send_notice(case=case, actor=liaison_officer)
    assert sending.send_blockers(case) == [
        "The case has no verified item that is not already in a notice awaiting reply."
    ]


def test_after_a_lapse_the_reminder_form_chooses_the_lapsed_notices_items(client, liaison_officer):
    case, _items = case_with_items(count=2)
    first = sending.send_notice(case=case, actor=liaison_officer)
    Notice.objects.filter(pk=first.pk).update(status=Notice.Status.LAPSED)  # its items stay in_notice
    assert sending.send_blockers(case) == []
    client.force_login(liaison_officer)
    form = client.get(reverse("notices-case-send", args=[case.pk])).content.decode()
    assert form.count("checked") == 2 and "step 2 of the ladder" in form


def test_the_preview_shows_what_would_be_sent_and_keeps_nothing(client, liaison_officer):
    case, items = case_with_items(count=2)
    client.force_login(liaison_officer)
    before = list(ReferenceSequence.objects.values_list("year", "last"))
    response = client.post(reverse("notices-case-send", args=[case.pk]), {"items": [items[0].pk], "preview": "1"})
    page = response.content.decode()
    assert response.status_code == 200 and 'id="notice-preview"' in page and 'id="send-now"' in page
    assert items[0].display in page and items[1].display not in page.split('id="preview-body"')[1].split("</pre>")[0]
    assert case.platform.contacts.get().email.lower() in page and "WIB" in page
    assert not Notice.objects.exists() and not CaseItem.objects.filter(item__status="in_notice").exists()
    assert list(ReferenceSequence.objects.values_list("year", "last")) == before
    sent = client.post(reverse("notices-case-send", args=[case.pk]), {"items": [items[0].pk], "send": "1"})
    notice = Notice.objects.get()
    assert sent.status_code == 302 and [entry.item for entry in notice.notice_items.all()] == [items[0]]


def test_the_preview_renders_through_the_same_function_as_the_send(liaison_officer):
    case, _items = case_with_items(count=1)
    preview = sending.preview_notice(case=case, actor=liaison_officer)
    notice = sending.send_notice(case=case, actor=liaison_officer, now=None)
    assert (preview.reference, preview.subject, preview.recipients) == (
        notice.reference,
        notice.subject,
        notice.recipients,
    )
    assert abs((preview.deadline_at - notice.deadline_at).total_seconds()) < 60


def test_the_api_previews_a_notice_with_its_deadline_and_keeps_nothing(api_client, liaison_officer):
    case, items = case_with_items(count=1)
    api_client.force_authenticate(liaison_officer)
    response = api_client.post("/api/v1/notices/preview/", {"case": case.pk}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["items"] == [items[0].pk] and body["recipients"] and body["reference"] in body["subject"]
    assert set(body) == {"step", "step_name", "reference", "subject", "body", "recipients", "deadline_at", "items"}
    assert not Notice.objects.exists()
    unknown = api_client.post("/api/v1/notices/preview/", {"case": case.pk, "dry": True}, format="json")
    assert unknown.status_code == 400 and "dry" in unknown.content.decode()


@pytest.mark.parametrize("role", ["analyst", "auditor", "administrator"])
def test_other_roles_cannot_preview(make_user, role):
    case, _items = case_with_items(count=1)
    with pytest.raises(NotPermitted):
        sending.preview_notice(case=case, actor=make_user(role))


def test_an_unverified_item_added_later_does_not_block_the_verified_one(liaison_officer):
    case, (_verified,) = case_with_items(count=1)
    other = FlaggedItemFactory(platform=case.platform)
    CaseItem.objects.create(case=case, item=other, added_by=liaison_officer)
    assert sending.send_blockers(case) == []
    assert format_human_time(sending.preview_notice(case=case, actor=liaison_officer).deadline_at).endswith("WIB")
