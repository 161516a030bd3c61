"""The notices API: the same services as the pages, the project's JSON error shape, permissions on the server,
bounded query counts, and a schema drf-spectacular generates without a warning about notices."""

import hashlib
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from notices import ladder, notifications, replies, sending
from notices.models import Notice, Notification, PlatformReply, Rebuttal, Sanction
from tests.factories_notices import case_with_items
from tracker.core.actors import SWEEP

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def as_user(api_client):
    def sign_in(user):
        api_client.force_authenticate(user)
        return api_client

    return sign_in


def sent(liaison_officer, count=2, **kwargs):
    case, items = case_with_items(count=count, **kwargs)
    return sending.send_notice(case=case, actor=liaison_officer), items


def test_a_liaison_officer_sends_a_notice_and_reads_it_whole(as_user, liaison_officer):
    case, items = case_with_items(count=2)
    api = as_user(liaison_officer)
    response = api.post("/api/v1/notices/", {"case": case.pk}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "sent" and body["step_position"] == 1 and body["case"] == case.pk
    assert sorted(row["item"] for row in body["items"]) == sorted(item.pk for item in items)
    assert len(body["deliveries"]) == 1 and len(body["deliveries"][0]["sha256"]) == 64
    detail = api.get(f"/api/v1/notices/{body['id']}/").json()
    assert detail["reference"] == body["reference"] and detail["replies"] == []


@pytest.mark.parametrize("role", ["analyst", "auditor"])
def test_an_analyst_or_an_auditor_cannot_send_and_gets_the_json_error(as_user, make_user, role):
    case, _items = case_with_items(count=1)
    response = as_user(make_user(role)).post("/api/v1/notices/", {"case": case.pk}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Notice.objects.exists()


def test_an_analyst_reads_notices_but_not_their_delivery_evidence(as_user, liaison_officer, analyst):
    notice, _items = sent(liaison_officer)
    detail = as_user(analyst).get(f"/api/v1/notices/{notice.pk}/").json()
    assert detail["reference"] == notice.reference and detail["deliveries"] is None


def test_the_exact_message_sent_downloads_for_those_who_may_read_deliveries(as_user, liaison_officer, analyst):
    notice, _items = sent(liaison_officer)
    other, _others = sent(liaison_officer)
    delivery = notice.deliveries.get()
    url = f"/api/v1/notices/{notice.pk}/deliveries/{delivery.pk}/message/"
    response = as_user(liaison_officer).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "message/rfc822"
    assert hashlib.sha256(response.content).hexdigest() == delivery.sha256
    assert "attachment" in response["Content-Disposition"]
    assert (
        as_user(liaison_officer).get(f"/api/v1/notices/{other.pk}/deliveries/{delivery.pk}/message/").status_code == 404
    )
    refused = as_user(analyst).get(url)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"


def test_a_platform_without_contact_is_a_400_and_nothing_is_saved(as_user, liaison_officer):
    case, _items = case_with_items(count=1, contacts=0)
    response = as_user(liaison_officer).post("/api/v1/notices/", {"case": case.pk}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "no_contact" and "recipients" in error["fields"]
    assert not Notice.objects.exists()


def test_an_unknown_case_or_item_is_a_field_error(as_user, liaison_officer):
    case, _items = case_with_items(count=1)
    api = as_user(liaison_officer)
    unknown = api.post("/api/v1/notices/", {"case": 999999}, format="json").json()["error"]
    assert unknown["code"] == "invalid" and "case" in unknown["fields"]
    stranger = api.post("/api/v1/notices/", {"case": case.pk, "items": [999999]}, format="json")
    assert stranger.status_code == 400 and "items" in stranger.json()["error"]["fields"]


def test_the_list_filters_like_the_page(as_user, liaison_officer):
    first, _ = sent(liaison_officer, count=1)
    second, _ = sent(liaison_officer, count=1)
    Notice.objects.filter(pk=second.pk).update(deadline_at=timezone.now() - timedelta(minutes=5))
    api = as_user(liaison_officer)
    overdue = api.get("/api/v1/notices/", {"overdue": "true"}).json()
    assert [row["reference"] for row in overdue["results"]] == [second.reference]
    assert overdue["results"][0]["overdue"] is True
    by_case = api.get("/api/v1/notices/", {"case": first.case_id}).json()
    assert [row["reference"] for row in by_case["results"]] == [first.reference]
    assert api.get("/api/v1/notices/", {"status": "nonsense"}).status_code == 400


@pytest.mark.parametrize("count", [1, 5])
def test_list_and_detail_query_counts_do_not_grow(as_user, liaison_officer, django_assert_num_queries, count):
    for _ in range(count):
        notice, items = sent(liaison_officer, count=2)
        replies.record_platform_reply(
            notice=notice,
            actor=liaison_officer,
            received_at=timezone.now(),
            channel="email",
            summary="Partly.",
            outcomes={items[0].pk: "removed"},
        )
    api = as_user(liaison_officer)
    api.get("/api/v1/notices/")  # warm the permission caches
    with django_assert_num_queries(LIST_QUERIES):
        assert api.get("/api/v1/notices/").json()["count"] == count
    with django_assert_num_queries(DETAIL_QUERIES):
        api.get(f"/api/v1/notices/{notice.pk}/")


LIST_QUERIES = 1  # the page (a list that fits on its first page is not counted)
DETAIL_QUERIES = 9  # the notice (found, then loaded whole), then one query per prefetched relation


def test_a_reply_is_recorded_per_item_and_bad_outcomes_are_json_errors(as_user, liaison_officer):
    notice, items = sent(liaison_officer)
    api = as_user(liaison_officer)
    url = f"/api/v1/notices/{notice.pk}/replies/"
    base = {"received_at": timezone.now().isoformat(), "channel": "email", "summary": "One removed, one refused."}
    unknown = api.post(url, {**base, "outcomes": [{"item": items[0].pk, "outcome": "vanished"}]}, format="json")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "invalid"
    no_reason = api.post(url, {**base, "outcomes": [{"item": items[0].pk, "outcome": "refused"}]}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["message"]
    stranger = api.post(url, {**base, "outcomes": [{"item": 999999, "outcome": "removed"}]}, format="json")
    assert stranger.status_code == 400 and "Not covered" in stranger.json()["error"]["message"]
    assert not PlatformReply.objects.exists()
    outcomes = [
        {"item": items[0].pk, "outcome": "removed"},
        {"item": items[1].pk, "outcome": "refused", "reason": "Protected speech."},
    ]
    response = api.post(url, {**base, "outcomes": outcomes}, format="json")
    assert response.status_code == 201, response.json()
    detail = api.get(f"/api/v1/notices/{notice.pk}/").json()
    assert detail["status"] == "partly_answered" and len(detail["replies"]) == 1
    assert {row["item"]: row["outcome"] for row in detail["items"]} == {items[0].pk: "removed", items[1].pk: "refused"}


def test_a_reply_with_attachments_comes_as_multipart_with_outcomes_as_json(as_user, liaison_officer):
    notice, items = sent(liaison_officer, count=1)
    response = as_user(liaison_officer).post(
        f"/api/v1/notices/{notice.pk}/replies/",
        {
            "received_at": timezone.now().isoformat(),
            "channel": "letter",
            "summary": "Removed; letter attached.",
            "outcomes": json.dumps([{"item": items[0].pk, "outcome": "removed"}]),
            "attachments": [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.pdf", PDF + b" ")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert sorted(a["original_name"] for a in response.json()["attachments"]) == ["a.pdf", "b.pdf"]
    assert Notice.objects.get().status == "answered"


def test_a_forbidden_attachment_is_a_400_and_nothing_is_recorded(as_user, liaison_officer):
    notice, items = sent(liaison_officer, count=1)
    response = as_user(liaison_officer).post(
        f"/api/v1/notices/{notice.pk}/replies/",
        {
            "received_at": timezone.now().isoformat(),
            "channel": "email",
            "summary": "Removed.",
            "outcomes": json.dumps([{"item": items[0].pk, "outcome": "removed"}]),
            "attachments": [SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 200)],
        },
        format="multipart",
    )
    assert response.status_code == 400 and "cannot be attached" in response.json()["error"]["message"]
    assert not PlatformReply.objects.exists() and Notice.objects.get().status == "sent"


def test_an_auditor_cannot_record_a_reply(as_user, liaison_officer, auditor):
    notice, _items = sent(liaison_officer, count=1)
    response = as_user(auditor).post(
        f"/api/v1/notices/{notice.pk}/replies/",
        {"received_at": timezone.now().isoformat(), "channel": "email", "summary": "x"},
        format="json",
    )
    assert response.status_code == 403 and not PlatformReply.objects.exists()


def test_a_prepared_notice_is_confirmed_once(as_user, liaison_officer):
    case, _items = case_with_items(count=1)
    notice = sending.prepare_notice(case=case, actor=SWEEP)
    api = as_user(liaison_officer)
    assert api.post(f"/api/v1/notices/{notice.pk}/confirm/").json()["status"] == "sent"
    again = api.post(f"/api/v1/notices/{notice.pk}/confirm/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "transition_not_allowed"


def test_a_past_notice_is_recorded_and_a_future_one_refused(as_user, liaison_officer):
    case, _items = case_with_items(count=1, urgency="normal")
    api = as_user(liaison_officer)
    future = api.post(
        "/api/v1/notices/record-past/",
        {"case": case.pk, "sent_at": (timezone.now() + timedelta(days=1)).isoformat()},
        format="json",
    )
    assert future.status_code == 400 and "sent_at" in future.json()["error"]["fields"]
    response = api.post(
        "/api/v1/notices/record-past/",
        {"case": case.pk, "sent_at": "2016-03-29T10:00:00+07:00", "recipients": ["abuse@telegram.example"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["recorded_afterwards"] and body["status"] == "lapsed" and body["deliveries"] == []
    assert body["recorded_by"] == liaison_officer.username


def test_a_rebuttal_is_recorded_and_decided_only_by_a_supervisor(as_user, liaison_officer, supervisor):
    notice, items = sent(liaison_officer)
    api = as_user(liaison_officer)
    response = api.post(
        f"/api/v1/notices/{notice.pk}/rebuttals/",
        {"item": items[0].pk, "received_at": timezone.now().isoformat(), "reasons": "Satire."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    rebuttal_id = response.json()["id"]
    twice = api.post(
        "/api/v1/rebuttals/",
        {"notice_item": response.json()["notice_item"], "received_at": timezone.now().isoformat(), "reasons": "Again."},
        format="json",
    )
    assert twice.status_code == 409
    refused = api.post(f"/api/v1/rebuttals/{rebuttal_id}/decide/", {"decision": "withdrawn", "reason": "x"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    boss = as_user(supervisor)
    bad = boss.post(f"/api/v1/rebuttals/{rebuttal_id}/decide/", {"decision": "maybe", "reason": "x"}, format="json")
    assert bad.status_code == 400 and "decision" in bad.json()["error"]["fields"]
    done = boss.post(f"/api/v1/rebuttals/{rebuttal_id}/decide/", {"decision": "upheld", "reason": "Incitement."})
    assert done.status_code == 200 and done.json()["decision"] == "upheld"
    assert Rebuttal.objects.get().decided_by == supervisor


def test_a_rebuttal_for_an_item_of_another_notice_is_refused(as_user, liaison_officer):
    notice, _items = sent(liaison_officer, count=1)
    _other, other_items = sent(liaison_officer, count=1)
    response = as_user(liaison_officer).post(
        f"/api/v1/notices/{notice.pk}/rebuttals/",
        {"item": other_items[0].pk, "received_at": timezone.now().isoformat(), "reasons": "No."},
        format="json",
    )
    assert response.status_code == 400 and "notice_item" in response.json()["error"]["fields"]
    assert not Rebuttal.objects.exists()


def test_sanctions_are_listed_and_only_a_supervisor_changes_their_state(as_user, liaison_officer, supervisor):
    case, _items = case_with_items(count=1, urgency="normal")
    step = ladder.next_step_for(case)
    step.sanction_amount = Decimal("250000000")
    step.save()
    sending.send_notice(case=case, actor=liaison_officer)
    sanction = Sanction.objects.get()
    listed = as_user(liaison_officer).get("/api/v1/sanctions/", {"case": case.pk}).json()["results"]
    assert listed[0]["amount"] == "250000000.00" and listed[0]["next_states"] == ["committed", "paid", "waived"]
    url = f"/api/v1/sanctions/{sanction.pk}/transition/"
    assert as_user(liaison_officer).post(url, {"to_state": "paid"}).status_code == 403
    boss = as_user(supervisor)
    waived = boss.post(url, {"to_state": "waived"}, format="json")
    assert waived.status_code == 400 and "note" in waived.json()["error"]["fields"]
    paid = boss.post(url, {"to_state": "paid", "payment_reference": "SSBP-77"}, format="json")
    assert paid.status_code == 200 and paid.json()["state"] == "paid" and paid.json()["next_states"] == []
    assert boss.post(url, {"to_state": "waived", "note": "late"}, format="json").status_code == 409


def test_notifications_are_ones_own_and_marked_read(as_user, liaison_officer, supervisor):
    mine = notifications.notify(liaison_officer, kind="deadline_reminder", case=None, notice=None, title="Mine")
    notifications.notify(liaison_officer, kind="step_prepared", case=None, notice=None, title="Mine too")
    theirs = notifications.notify(supervisor, kind="rebuttal", case=None, notice=None, title="Theirs")
    api = as_user(liaison_officer)
    titles = [row["title"] for row in api.get("/api/v1/notifications/").json()["results"]]
    assert sorted(titles) == ["Mine", "Mine too"]
    assert api.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert api.post(f"/api/v1/notifications/{mine.pk}/read/").json()["read_at"] is not None
    assert api.get("/api/v1/notifications/", {"unread": "true"}).json()["count"] == 1
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert Notification.objects.filter(read_at__isnull=True).get() == theirs


def test_the_schema_has_no_warning_about_notices(tmp_path, capsys):
    call_command("spectacular", "--file", str(tmp_path / "schema.yml"), "--validate")
    problems = [line for line in capsys.readouterr().err.splitlines() if "notices" in line.lower()]
    assert problems == []
    schema = (tmp_path / "schema.yml").read_text()
    assert "/api/v1/notices/{id}/replies/" in schema and "NoticeStatusEnum" in schema
