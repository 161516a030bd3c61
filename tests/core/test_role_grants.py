"""Roles are given on the tracker's People pages: the powerful ones (supervisor, administrator) need a second
administrator, each giving a second-factor code, and the supervisors hear of it. No one changes their own."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from notices.models import Notification
from tests.factories import UserFactory, make_user, second_factor_code
from tracker.accounts import grants
from tracker.accounts.models import RoleGrant
from tracker.core.errors import DomainError, NotPermitted
from tracker.core.models import AuditEntry, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_administrators():
    return make_user("administrator", is_staff=True), make_user("administrator", is_staff=True)


def test_a_supervisor_needs_a_second_administrator_and_the_supervisors_hear_of_it(
    two_administrators, django_capture_on_commit_callbacks
):
    first, second = two_administrators
    watching = make_user("supervisor")
    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        grant = grants.grant_role(
            actor=first, user=person, role="supervisor", reason="new head of unit", otp_code=second_factor_code(first)
        )
    assert grant.status == RoleGrant.Status.PENDING and not person.has_role(Role.SUPERVISOR)
    told = Notification.objects.filter(user=watching, kind=Notification.Kind.POWERS_CHANGED)
    assert told.count() == 1 and "second administrator" in told.get().title

    with pytest.raises(NotPermitted, match="second administrator"):
        grants.confirm_grant(actor=first, grant=grant, otp_code=second_factor_code(first))
    with pytest.raises(DomainError):
        grants.confirm_grant(actor=second, grant=grant, otp_code="")
    with django_capture_on_commit_callbacks(execute=True):
        grants.confirm_grant(actor=second, grant=grant, otp_code=second_factor_code(second))
    assert User.objects.get(pk=person.pk).has_role(Role.SUPERVISOR)
    assert told.count() == 2
    assert AuditEntry.objects.filter(object_id=str(person.pk), changes__roles=[None, "supervisor"]).exists()


def test_requesting_a_powerful_role_needs_a_code_and_lesser_roles_are_given_at_once(two_administrators):
    first, _second = two_administrators
    person = UserFactory()
    with pytest.raises(DomainError) as refused:
        grants.grant_role(actor=first, user=person, role="administrator", reason="backup", otp_code="")
    assert "otp_code" in refused.value.fields
    assert grants.grant_role(actor=first, user=person, role="analyst", reason="joins the patrol") is None
    assert User.objects.get(pk=person.pk).has_role(Role.ANALYST)


@pytest.mark.parametrize("role", ["analyst", "liaison_officer", "supervisor", "auditor", "isp"])
def test_only_administrators_give_roles(role):
    actor = make_user(role)
    with pytest.raises(NotPermitted):
        grants.grant_role(actor=actor, user=UserFactory(), role="analyst", reason="x")


def test_nobody_changes_their_own_account_so_the_last_administrator_stays(two_administrators):
    first, second = two_administrators
    with pytest.raises(NotPermitted):
        grants.grant_role(actor=first, user=first, role="supervisor", reason="me", otp_code=second_factor_code(first))
    with pytest.raises(NotPermitted):
        grants.set_active(actor=first, user=first, active=False, reason="x")
    grants.set_active(actor=first, user=second, active=False, reason="left the ministry")
    third = make_user("administrator")
    grants.set_active(actor=third, user=first, active=False, reason="left too")
    # `third` is now the only active administrator, and only another administrator could take that away.
    with pytest.raises(NotPermitted):
        grants.set_active(actor=third, user=third, active=False, reason="x")
    # Even a request begun before its sender was deactivated cannot leave the tracker without an administrator.
    with pytest.raises(DomainError, match="last administrator"):
        grants.remove_role(actor=first, user=third, role="administrator", reason="x")


def test_the_api_requests_and_a_second_administrator_confirms(api_client, two_administrators):
    first, second = two_administrators
    person = UserFactory()
    api_client.force_authenticate(first)
    body = {"role": "supervisor", "reason": "new head of unit", "otp_code": second_factor_code(first)}
    requested = api_client.post(f"/api/v1/users/{person.pk}/grant-role/", body, format="json")
    assert requested.status_code == 202 and requested.json()["status"] == "pending"
    grant_id = requested.json()["id"]
    own = api_client.post(
        f"/api/v1/role-grants/{grant_id}/confirm/", {"otp_code": second_factor_code(first)}, format="json"
    )
    assert own.status_code == 403
    api_client.force_authenticate(second)
    confirmed = api_client.post(
        f"/api/v1/role-grants/{grant_id}/confirm/", {"otp_code": second_factor_code(second)}, format="json"
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert "supervisor" in api_client.get(f"/api/v1/users/{person.pk}/").json()["roles"]


@pytest.mark.parametrize("role", ["analyst", "liaison_officer", "supervisor", "isp"])
def test_people_are_not_listed_to_other_roles(api_client, client, role):
    user = make_user(role)
    api_client.force_authenticate(user)
    assert api_client.get("/api/v1/users/").status_code == 403
    client.force_login(user)
    assert client.get(reverse("people")).status_code == 403


def test_an_administrator_invites_and_the_link_sets_the_password(client, two_administrators):
    first, _second = two_administrators
    client.force_login(first)
    assert client.get(reverse("people")).status_code == 200
    invited = client.post(
        reverse("person-invite"), {"username": "lina", "email": "lina@ministry.invalid", "role": "liaison_officer"}
    )
    assert invited.status_code == 200
    link = invited.content.decode().split('id="set-password-link">')[1].split("<")[0]
    lina = User.objects.get(username="lina")
    assert lina.has_role(Role.LIAISON_OFFICER) and not lina.has_usable_password()
    client.logout()
    form = client.get(link.replace("http://testserver", ""), follow=True)
    assert form.status_code == 200
    chosen = "a long passphrase for lina 2017"
    client.post(form.redirect_chain[-1][0], {"new_password1": chosen, "new_password2": chosen})
    assert User.objects.get(username="lina").check_password(chosen)


def test_the_admin_site_cannot_change_roles_or_make_superusers(client, two_administrators):
    first, _second = two_administrators
    person = make_user("analyst")
    client.force_login(first)
    page = client.get(f"/admin/tracker/user/{person.pk}/change/")
    assert page.status_code == 200
    assert 'name="groups"' not in page.content.decode() and 'name="is_superuser"' not in page.content.decode()


def test_break_glass_superuser_is_audited_told_to_supervisors_and_ended(capsys, django_capture_on_commit_callbacks):
    watching = make_user("supervisor")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("break_glass_superuser", "glass", "--reason", "database restore at 02:00")
    glass = User.objects.get(username="glass")
    assert glass.is_superuser and "shown once" in capsys.readouterr().out
    assert Notification.objects.filter(user=watching, kind=Notification.Kind.POWERS_CHANGED).exists()
    assert AuditEntry.objects.filter(object_id=str(glass.pk), reason__contains="database restore").exists()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("break_glass_superuser", "glass", "--reason", "restore done", "--end")
    glass.refresh_from_db()
    assert not glass.is_superuser and not glass.is_active
    with pytest.raises(CommandError):
        call_command("break_glass_superuser", "glass", "--reason", "again")


def test_a_password_set_in_the_admin_site_is_audited_and_ends_the_persons_tokens(client, two_administrators):
    from tests.factories import api_token
    from tracker.accounts.models import ApiToken

    first, _second = two_administrators
    person = make_user("analyst")
    api_token(person)
    client.force_login(first)
    chosen = "a new passphrase for the analyst 2017"
    answer = client.post(
        f"/admin/tracker/user/{person.pk}/password/",
        {"password1": chosen, "password2": chosen, "usable_password": "true"},
    )
    assert answer.status_code == 302
    assert User.objects.get(pk=person.pk).check_password(chosen)
    assert AuditEntry.objects.filter(object_id=str(person.pk), reason="password set in the admin site").exists()
    assert not ApiToken.objects.usable().filter(user=person).exists()
