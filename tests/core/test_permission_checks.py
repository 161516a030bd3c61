"""Permission checks read a person's permissions in one query, with the same answer as Django's ModelBackend; an API
request reads its token, the token's holder and the holder's permissions in that one query."""

from datetime import timedelta

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import FlaggedItemFactory, api_token, make_user
from tests.services import require_postgresql
from tracker.accounts.backends import ModelBackendInOneQuery
from tracker.accounts.models import ApiToken
from tracker.accounts.tokens import authenticate_key, hash_key
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


@pytest.mark.parametrize("role", ROLES)
def test_a_token_its_holder_and_their_permissions_are_read_in_one_query(role):
    require_postgresql()
    user = make_user(role)
    user.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    expected = ModelBackend().get_all_permissions(fresh(user))
    key = api_token(user)
    authenticate_key(key)  # marks the token used, so the request below only reads

    with CaptureQueriesContext(connection) as queries:
        token = authenticate_key(key)
        assert token.user.get_all_permissions() == expected
        assert token.user.has_perm(next(iter(expected))) and not token.user.has_perm("tracker.no_such_permission")
    assert token.user == user
    assert len(queries) == 1


def test_an_api_list_request_costs_two_queries_the_holder_and_the_page(analyst):
    require_postgresql()
    FlaggedItemFactory.create_batch(3, logged_by=analyst)
    api = Client(HTTP_AUTHORIZATION=f"Token {api_token(analyst)}")
    api.get("/api/v1/items/")
    with CaptureQueriesContext(connection) as queries:
        assert len(api.get("/api/v1/items/").json()["results"]) == 3
    assert len(queries) == 2, [query["sql"][:80] for query in queries]


def test_a_role_taken_away_counts_on_the_next_token_request(analyst):
    key = api_token(analyst)
    assert authenticate_key(key).user.has_perm("tracker.add_flaggeditem")
    analyst.groups.clear()
    assert not authenticate_key(key).user.has_perm("tracker.add_flaggeditem")
    analyst.is_superuser = True  # a superuser's permissions are all there are, not the ones assigned
    analyst.save()
    assert authenticate_key(key).user.has_perm("blocking.approve_blockorder")


def test_a_token_is_usable_exactly_when_the_orm_says_so(analyst):
    keys = {name: api_token(analyst, name) for name in ["good", "revoked", "expired", "other"]}
    ApiToken.objects.filter(name="revoked").update(revoked_at=timezone.now())
    ApiToken.objects.filter(name="expired").update(expires_at=timezone.now() - timedelta(seconds=1))
    for name, key in keys.items():
        expected = ApiToken.objects.usable().filter(key_hash=hash_key(key)).first()
        token = authenticate_key(key)
        assert (token.pk if token else None) == (expected.pk if expected else None), name
    token = authenticate_key(keys["good"])
    assert (token.name, token.user.username, token.user.time_zone) == ("good", analyst.username, analyst.time_zone)
    assert token.expires_at == ApiToken.objects.get(pk=token.pk).expires_at and token.expires_at.tzinfo is not None
    assert authenticate_key("not-a-key") is None
    analyst.is_active = False
    analyst.save()
    assert authenticate_key(keys["good"]) is None and authenticate_key(keys["other"]) is None


@pytest.mark.django_db(transaction=True)
def test_the_token_statement_is_prepared_once_per_database_session_and_again_in_a_new_one(analyst):
    require_postgresql()
    key = api_token(analyst)
    authenticate_key(key)  # marks the token used and reads the permissions' names, so only the token is read below
    connection.close()  # a new session: the statement is prepared in it first
    with CaptureQueriesContext(connection) as first:
        assert authenticate_key(key).user == analyst
    with CaptureQueriesContext(connection) as second:
        assert authenticate_key(key).user == analyst
    assert [query["sql"].split()[0] for query in first] == ["PREPARE", "EXECUTE"]
    assert [query["sql"].split()[0] for query in second] == ["EXECUTE"]


def test_a_signed_in_page_reads_its_person_and_their_permissions_in_one_query(analyst):
    require_postgresql()
    FlaggedItemFactory(logged_by=analyst)
    page = Client()
    page.force_login(analyst)
    page.get("/items/")
    with CaptureQueriesContext(connection) as queries:
        assert page.get("/items/").status_code == 200
    statements = [query["sql"] for query in queries]
    about_the_person = [
        sql for sql in statements if any(name in sql.lower() for name in ("tracker_user", "permission", "signed_in"))
    ]
    assert len(about_the_person) == 1 and about_the_person[0].startswith("EXECUTE tracker_signed_in_user")


@pytest.mark.parametrize("role", [*ROLES, "superuser"])
def test_the_signed_in_person_is_read_as_django_reads_them(role):
    user = make_user("analyst" if role == "superuser" else role, is_superuser=role == "superuser")
    user.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    expected = ModelBackend().get_user(user.pk)
    read = ModelBackendInOneQuery().get_user(str(user.pk))  # as the session keeps it
    assert read == expected and read.__dict__.keys() >= {"username", "password", "time_zone", "language"}
    assert [getattr(read, f.attname) for f in User._meta.concrete_fields] == [
        getattr(expected, f.attname) for f in User._meta.concrete_fields
    ]
    granted = ModelBackend().get_all_permissions(fresh(user))
    with CaptureQueriesContext(connection) as queries:
        assert read.get_all_permissions() == granted
        assert read.has_perm("tracker.view_auditentry")
    if connection.vendor == "postgresql" and role != "superuser":
        assert len(queries) == 0  # read with the person (a superuser's are every permission there is)


def test_a_signed_in_person_who_cannot_sign_in_any_more_is_nobody(analyst):
    backend = ModelBackendInOneQuery()
    assert backend.get_user(str(analyst.pk + 1000)) is None
    assert backend.get_user("not-a-number") is None
    analyst.groups.clear()  # a role taken away counts on the next request
    assert not backend.get_user(analyst.pk).has_perm("tracker.add_flaggeditem")
    analyst.is_active = False
    analyst.save()
    assert backend.get_user(analyst.pk) is None


def test_a_page_after_a_password_change_elsewhere_signs_the_session_out(analyst):
    page = Client()
    page.force_login(analyst)
    assert page.get("/items/").status_code == 200
    analyst.set_password("a new and long passphrase")
    analyst.save()
    response = page.get("/items/")
    assert response.status_code == 302 and "/login" in response["Location"]
