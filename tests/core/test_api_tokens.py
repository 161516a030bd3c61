"""API tokens: stored hashed, named, expiring, listed and revoked by their owner and by administrators; an ISP
rotates without downtime."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import api_token
from tracker.accounts.models import ApiToken
from tracker.accounts.tokens import hash_key, issue_token, revoke_token
from tracker.core.errors import NotPermitted
from tracker.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def with_token(api_client, key):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api_client


def test_only_the_hash_and_a_prefix_are_stored(analyst):
    token, key = issue_token(actor=analyst, owner=analyst, name="crawler")
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in [str(value) for value in stored.values()]
    assert stored["key_hash"] == hash_key(key) and stored["prefix"] == key[:8]
    entry = AuditEntry.objects.get(object_id=str(token.pk), reason="API token issued")
    assert key not in str(entry.changes) and hash_key(key) not in str(entry.changes)


def test_a_token_stops_working_when_it_expires(api_client, analyst):
    _token, key = issue_token(actor=analyst, owner=analyst, name="short", days=1)
    assert with_token(api_client, key).get("/api/v1/me/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        answer = with_token(api_client, key).get("/api/v1/me/")
    assert answer.status_code == 401
    assert "expired" in answer.json()["error"]["message"]


def test_the_api_issues_a_token_shows_its_key_once_and_lists_only_the_prefix(api_client, analyst):
    api_client.force_authenticate(analyst)
    issued = api_client.post("/api/v1/api-tokens/", {"name": "crawler", "days": 30}, format="json")
    assert issued.status_code == 201
    key = issued.json()["key"]
    listed = api_client.get("/api/v1/api-tokens/").json()["results"]
    assert [row["name"] for row in listed] == ["crawler"]
    assert "key" not in listed[0] and listed[0]["prefix"] == key[:8]
    assert with_token(api_client, key).get("/api/v1/me/").json()["username"] == analyst.username


def test_unknown_fields_and_overlong_lifetimes_are_refused(api_client, analyst):
    api_client.force_authenticate(analyst)
    unknown = api_client.post("/api/v1/api-tokens/", {"name": "x", "scope": "all"}, format="json")
    assert unknown.status_code == 400 and "scope" in unknown.json()["error"]["fields"]
    too_long = api_client.post("/api/v1/api-tokens/", {"name": "x", "days": 5000}, format="json")
    assert too_long.status_code == 400 and "days" in too_long.json()["error"]["fields"]


def test_an_isp_rotates_its_token_without_downtime(api_client, make_user):
    from tests.factories_blocking import ISPFactory, isp_user

    isp_account = isp_user(ISPFactory())
    old = api_token(isp_account, name="resolver 2026")
    client = with_token(api_client, old)
    new_key = client.post("/api/v1/api-tokens/", {"name": "resolver 2027"}, format="json").json()["key"]
    # Both work during the overlap.
    assert with_token(api_client, old).get("/api/v1/me/").status_code == 200
    assert with_token(api_client, new_key).get("/api/v1/me/").status_code == 200
    old_id = ApiToken.objects.get(key_hash=hash_key(old)).pk
    revoked = with_token(api_client, new_key).post(f"/api/v1/api-tokens/{old_id}/revoke/", {}, format="json")
    assert revoked.status_code == 200
    assert with_token(api_client, old).get("/api/v1/me/").status_code == 401
    assert with_token(api_client, new_key).get("/api/v1/me/").status_code == 200


def test_others_cannot_see_or_revoke_a_token_but_an_administrator_can(api_client, analyst, make_user, administrator):
    token, key = issue_token(actor=analyst, owner=analyst, name="mine")
    other = make_user("analyst")
    api_client.force_authenticate(other)
    assert api_client.get("/api/v1/api-tokens/").json()["results"] == []
    assert api_client.post(f"/api/v1/api-tokens/{token.pk}/revoke/", {}, format="json").status_code == 404
    with pytest.raises(NotPermitted):
        revoke_token(actor=other, token=token)
    with pytest.raises(NotPermitted):
        issue_token(actor=other, owner=analyst, name="for someone else")
    api_client.force_authenticate(administrator)
    assert [row["id"] for row in api_client.get("/api/v1/api-tokens/").json()["results"]] == [token.pk]
    revoked = api_client.post(f"/api/v1/api-tokens/{token.pk}/revoke/", {"reason": "left"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["usable"] is False
    api_client.force_authenticate(None)
    assert with_token(api_client, key).get("/api/v1/me/").status_code == 401


def test_an_administrator_issues_a_token_for_an_isp_account(api_client, administrator):
    from tests.factories_blocking import ISPFactory, isp_user

    account = isp_user(ISPFactory())
    api_client.force_authenticate(administrator)
    issued = api_client.post("/api/v1/api-tokens/", {"name": "resolver", "user": account.username}, format="json")
    assert issued.status_code == 201 and issued.json()["user"] == account.username


def test_a_person_manages_their_tokens_on_a_page(client, analyst):
    client.force_login(analyst)
    page = client.post(reverse("api-tokens"), {"name": "my script", "days": 30})
    assert page.status_code == 200
    token = ApiToken.objects.get(user=analyst)
    assert token.prefix in page.content.decode() and 'id="issued-key"' in page.content.decode()
    client.post(reverse("api-token-revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None
