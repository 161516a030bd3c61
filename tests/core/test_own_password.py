"""People change their own password on a page of the tracker, under the same rules as every door; a new
password, or a deactivated account, ends every API token the person held."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, api_token
from tracker.accounts.models import ApiToken
from tracker.core.models import AuditEntry

pytestmark = pytest.mark.django_db

NEW = "a much longer passphrase 2017"


def test_a_person_changes_their_own_password_and_their_tokens_stop_working(client, api_client, analyst):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(analyst)}")
    assert api_client.get("/api/v1/me/").status_code == 200
    client.force_login(analyst)
    changed = client.post(
        reverse("password-change"), {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert changed.status_code == 302
    analyst.refresh_from_db()
    assert analyst.check_password(NEW)
    assert api_client.get("/api/v1/me/").status_code == 401
    assert AuditEntry.objects.filter(object_id=str(analyst.pk), reason="password changed").exists()


def test_a_weak_new_password_is_refused_on_the_page(client, analyst):
    client.force_login(analyst)
    page = client.post(
        reverse("password-change"), {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"}
    )
    assert page.status_code == 200 and "errorlist" in page.content.decode()
    analyst.refresh_from_db()
    assert analyst.check_password(PASSWORD)


def test_deactivating_an_account_ends_its_tokens(analyst):
    api_token(analyst)
    analyst.is_active = False
    analyst.save()
    assert not ApiToken.objects.usable().filter(user=analyst).exists()
    assert ApiToken.objects.get(user=analyst).revoked_reason == "account deactivated"
