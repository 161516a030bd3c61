import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from tracker.accounts.models import ApiToken
from tracker.accounts.tokens import hash_key
from tracker.core.models import Role, User

pytestmark = pytest.mark.django_db


def test_every_role_exists_as_a_group():
    assert set(Group.objects.values_list("name", flat=True)) >= {role.value for role in Role}


def test_auditor_may_view_everything_and_change_nothing():
    auditor = Group.objects.get(name=Role.AUDITOR)
    codenames = set(auditor.permissions.values_list("codename", flat=True))
    assert "view_auditentry" in codenames and "view_flaggeditem" in codenames
    assert all(code.startswith("view_") for code in codenames)


def test_analyst_may_log_items_but_not_read_the_audit_trail(make_user):
    analyst = make_user("analyst")
    assert analyst.has_perm("tracker.add_flaggeditem")
    assert not analyst.has_perm("tracker.view_auditentry")


def test_command_creates_user_with_role_and_prints_token(capsys):
    call_command("create_tracker_user", "isp-telkom", "--role", "isp", "--token")
    out = capsys.readouterr().out
    user = User.objects.get(username="isp-telkom")
    assert user.has_role(Role.ISP)
    assert not user.has_usable_password()
    key = out.split("API token (shown once; valid 90 days): ")[1].strip()
    assert ApiToken.objects.usable().get(key_hash=hash_key(key)).user == user
    assert key not in str(list(ApiToken.objects.values()))  # only its hash is kept


def test_command_prints_a_generated_password_once(capsys):
    call_command("create_tracker_user", "lina", "--role", "liaison_officer")
    out = capsys.readouterr().out
    password = out.split("Password (shown once): ")[1].strip()
    assert User.objects.get(username="lina").check_password(password)


def test_ensure_admin_creates_one_administrator_and_only_once(capsys, monkeypatch):
    monkeypatch.setenv("TRACKER_ADMIN_PASSWORD", "a long enough admin password")
    call_command("ensure_admin")
    call_command("ensure_admin")
    admins = User.objects.filter(groups__name=Role.ADMINISTRATOR)
    assert admins.count() == 1
    assert admins.get().check_password("a long enough admin password")
    assert "exists already" in capsys.readouterr().out


@pytest.mark.parametrize("weak", ["123", "password1234", "lina-account"])
def test_the_command_refuses_a_weak_password_naming_why_and_creates_no_one(weak):
    with pytest.raises(CommandError) as refused:
        call_command("create_tracker_user", "lina-account", "--role", "analyst", "--password", weak)
    assert "password" in str(refused.value).lower()
    assert not User.objects.filter(username="lina-account").exists()


def test_the_command_takes_a_strong_password():
    call_command("create_tracker_user", "dewi", "--role", "analyst", "--password", "correct horse battery 2017")
    assert User.objects.get(username="dewi").check_password("correct horse battery 2017")


def test_the_command_does_not_make_a_supervisor_once_there_is_an_administrator(make_user):
    make_user("administrator")
    with pytest.raises(CommandError, match="second administrator"):
        call_command("create_tracker_user", "sari", "--role", "supervisor")
    assert not User.objects.filter(username="sari").exists()
