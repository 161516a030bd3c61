"""Permission checks read a person's permissions in one query, with the same answer as Django's ModelBackend."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_user
from tracker.accounts.backends import ModelBackendInOneQuery
from tracker.core.models import User

pytestmark = pytest.mark.django_db

ROLES = ["analyst", "liaison_officer", "supervisor", "auditor", "administrator", "isp"]


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_has_the_permissions_django_would_read_in_one_query(role):
    user = make_user(role)
    user.user_permissions.add(Permission.objects.get(codename="view_auditentry"))  # one of the person's own too
    expected = ModelBackend().get_all_permissions(fresh(user))
    assert expected  # every role can do something

    user = fresh(user)
    with CaptureQueriesContext(connection) as queries:
        granted = ModelBackendInOneQuery().get_all_permissions(user)
        assert user.has_perm(next(iter(expected))) and user.has_perms(sorted(expected)[:3])
    assert granted == expected
    assert len(queries) == 1


def test_refusals_and_changes_of_role_are_as_before():
    analyst = make_user("analyst")
    assert not fresh(analyst).has_perm("blocking.approve_blockorder")
    assert fresh(analyst).has_perm("tracker.add_flaggeditem")
    analyst.groups.clear()  # a role taken away counts on the next request: nothing is kept across requests
    assert not fresh(analyst).has_perm("tracker.add_flaggeditem")
    analyst.groups.add(*make_user("auditor").groups.all())
    assert fresh(analyst).has_perm("tracker.view_flaggeditem") and not fresh(analyst).has_perm(
        "tracker.add_flaggeditem"
    )
    analyst.is_active = False
    analyst.save()
    assert ModelBackendInOneQuery().get_all_permissions(fresh(analyst)) == set()
    assert not fresh(analyst).has_perm("tracker.view_flaggeditem")
