"""Sign-in resists guessing: ten wrong passwords lock the account (the right one is then refused too, until
the lock cools off or an administrator lifts it), and every sign-in and failure is in the audit trail."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD
from tracker.core.models import AuditEntry

pytestmark = pytest.mark.django_db

LIMIT = 10


def sign_in(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_ten_wrong_passwords_lock_the_account_and_the_right_one_is_then_refused(client, analyst, settings):
    for _ in range(LIMIT - 1):
        assert sign_in(client, analyst.username, "not-the-password").status_code == 200  # the form again
    assert sign_in(client, analyst.username, "not-the-password").status_code == 429  # the tenth locks
    locked = sign_in(client, analyst.username, PASSWORD)
    assert locked.status_code == 429 and 'id="locked-out"' in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_right_password_before_the_limit_signs_in_and_starts_the_count_again(client, analyst):
    for _ in range(LIMIT - 1):
        sign_in(client, analyst.username, "not-the-password")
    assert sign_in(client, analyst.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        sign_in(client, analyst.username, "not-the-password")
    assert sign_in(client, analyst.username, PASSWORD).status_code == 302


def test_sign_ins_and_failures_are_in_the_audit_trail(client, analyst):
    sign_in(client, analyst.username, "not-the-password")
    sign_in(client, analyst.username, PASSWORD)
    entries = AuditEntry.objects.filter(object_id=str(analyst.pk), action=AuditEntry.Action.EVENT).order_by("id")
    assert [entry.reason for entry in entries] == ["sign-in failed", "signed in"]
    assert entries[1].actor == analyst and entries[0].actor is None and entries[0].remote_addr == "127.0.0.1"


def test_a_failure_for_an_unknown_name_is_kept_without_naming_anyone(client):
    from axes.models import AccessAttempt

    sign_in(client, "no-such-person", "guess")
    assert AccessAttempt.objects.filter(username="no-such-person").exists()
