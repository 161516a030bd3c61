"""Issue 14: the list pages' action bars reach every bulk action the API has, through the same services, and
answer with one summary page (what was done, what was refused and why) that leads back to the same list."""

import pytest

from notices import inbound, sending
from notices.models import InboundMail, Notice
from tests.factories import CaseFactory, CategoryFactory, FlaggedItemFactory, PlatformFactory
from tests.factories_inbound import reply
from tests.factories_notices import case_with_items
from tracker.cases.models import CaseItem
from tracker.core.actors import COMMAND
from tracker.items.models import FlaggedItem

pytestmark = pytest.mark.django_db


def test_the_item_list_offers_every_status_a_person_sets_and_every_category(client, analyst):
    category = CategoryFactory(slug="online-gambling")
    client.force_login(analyst)
    page = client.get("/items/").content.decode()
    bar = page[page.index('id="bulk-status"') : page.index("</select>", page.index('id="bulk-status"'))]
    assert 'value="category"' in page and f'value="{category.slug}"' in page
    assert 'value="add_to_case"' in page
    for status in ("removed", "restricted", "refused", "blocked", "closed"):
        assert f'<option value="{status}">' in bar
    assert '<option value="new">' not in bar  # verifying is its own action


def test_selected_items_change_category_from_the_list(client, analyst):
    platform = PlatformFactory()
    items = [FlaggedItemFactory(platform=platform) for _ in range(2)]
    gambling = CategoryFactory(slug="online-gambling")
    client.force_login(analyst)
    response = client.post(
        "/items/bulk/",
        {"action": "category", "category": gambling.slug, "ids": [i.pk for i in items], "next": "/items/?status=new"},
    )
    assert response.status_code == 200
    assert "2 items done; 0 refused." in response.content.decode()
    assert 'href="/items/?status=new"' in response.content.decode()  # back to the same filtered list
    assert set(FlaggedItem.objects.values_list("category", flat=True)) == {gambling.pk}


def test_selected_items_are_added_to_a_case_from_the_list_and_other_platforms_refused(client, analyst):
    case = CaseFactory()
    fitting = FlaggedItemFactory(platform=case.platform)
    elsewhere = FlaggedItemFactory(platform=PlatformFactory())
    client.force_login(analyst)
    response = client.post(
        "/items/bulk/", {"action": "add_to_case", "case": f"#{case.pk}", "ids": [fitting.pk, elsewhere.pk]}
    )
    page = response.content.decode()
    assert "1 item done; 1 refused." in page and f"Not on {case.platform.name}" in page
    assert list(CaseItem.objects.filter(case=case).values_list("item", flat=True)) == [fitting.pk]


def test_an_unknown_case_number_is_named_and_nothing_is_done(client, analyst):
    item = FlaggedItemFactory()
    client.force_login(analyst)
    response = client.post("/items/bulk/", {"action": "add_to_case", "case": "999999", "ids": [item.pk]}, follow=True)
    assert "No case has that number." in response.content.decode()
    assert not CaseItem.objects.exists()


def test_a_next_address_off_this_site_is_not_followed(client, analyst):
    item = FlaggedItemFactory()
    client.force_login(analyst)
    response = client.post(
        "/items/bulk/", {"action": "transition", "status": "closed", "ids": [item.pk], "next": "https://evil.example/"}
    )
    assert "evil.example" not in response.content.decode() and 'href="/items/"' in response.content.decode()


def test_selected_prepared_notices_are_sent_from_the_notice_list(
    client, liaison_officer, django_capture_on_commit_callbacks
):
    first_case, _ = case_with_items(count=1)
    second_case, _ = case_with_items(count=1)
    prepared = [sending.prepare_notice(case=case, actor=liaison_officer) for case in (first_case, second_case)]
    sent = sending.send_notice(case=case_with_items(count=1)[0], actor=liaison_officer)
    client.force_login(liaison_officer)
    assert 'id="bulk-notices"' in client.get("/notices/").content.decode()
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/notices/bulk/", {"action": "confirm", "ids": [*(n.pk for n in prepared), sent.pk]})
    page = response.content.decode()
    assert "2 notices done; 1 refused." in page and "not waiting for confirmation" in page
    assert set(Notice.objects.filter(pk__in=[n.pk for n in prepared]).values_list("status", flat=True)) == {"sent"}


def test_the_notice_bulk_api_sends_prepared_notices_and_refuses_others_per_id(
    api_client, liaison_officer, django_capture_on_commit_callbacks
):
    prepared = sending.prepare_notice(case=case_with_items(count=1)[0], actor=liaison_officer)
    api_client.force_authenticate(liaison_officer)
    with django_capture_on_commit_callbacks(execute=False):
        response = api_client.post(
            "/api/v1/notices/bulk/", {"action": "confirm", "ids": [prepared.pk, 999_999]}, format="json"
        )
    assert response.status_code == 200, response.content
    assert response.json() == {"done": [prepared.pk], "refused": [{"id": 999_999, "reason": "No such notice."}]}
    unknown = api_client.post(
        "/api/v1/notices/bulk/", {"action": "confirm", "ids": [prepared.pk], "when": "now"}, format="json"
    )
    assert unknown.status_code == 400 and "when" in unknown.content.decode()


@pytest.mark.parametrize("role", ["analyst", "auditor", "administrator"])
def test_other_roles_cannot_send_notices_from_the_list(client, make_user, role, liaison_officer):
    prepared = sending.prepare_notice(case=case_with_items(count=1)[0], actor=liaison_officer)
    client.force_login(make_user(role))
    assert client.post("/notices/bulk/", {"action": "confirm", "ids": [prepared.pk]}).status_code == 403
    prepared.refresh_from_db()
    assert prepared.status == Notice.Status.PREPARED


def test_selected_emails_are_dismissed_from_the_inbound_list_with_one_note(client, liaison_officer):
    mails = [
        inbound.ingest_message(reply(body=f"Thanks {n}."), source=InboundMail.Source.COMMAND, actor=COMMAND)
        for n in range(2)
    ]
    client.force_login(liaison_officer)
    assert 'id="bulk-mails"' in client.get("/notices/mail/").content.decode()
    no_note = client.post("/notices/mail/bulk/", {"action": "dismiss", "ids": [m.pk for m in mails]}, follow=True)
    assert "Say why the emails are dismissed." in no_note.content.decode()
    response = client.post(
        "/notices/mail/bulk/", {"action": "dismiss", "note": "thank-you notes", "ids": [m.pk for m in mails]}
    )
    assert "2 emails done; 0 refused." in response.content.decode()
    assert set(InboundMail.objects.values_list("state", flat=True)) == {InboundMail.State.DISMISSED}
