"""Schemathesis over the whole OpenAPI schema, as every role and as no one: no server error, and every answer
conforms to the schema (status code documented, content type, body shape). A bounded run (FUZZ_EXAMPLES
examples per operation, a role drawn for each) on the real database; CI runs it on PostgreSQL."""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import api_token, make_user
from tests.factories_blocking import ISPFactory, isp_user
from tracker.core.models import Role

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CALLERS = ("anonymous", *Role.values)
# Not positive_data_acceptance: a schema cannot say that a referenced record exists or is in the right state,
# so a schema-valid body naming item 1569552 is rightly refused with a 400 naming the field.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """Django's WSGI handler closes "old" connections around each request, which would close the test's
    transaction; its test client switches that off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db):
    keys = {"anonymous": None}
    for role in Role.values:
        user = isp_user(ISPFactory()) if role == Role.ISP else make_user(role)
        keys[role] = api_token(user)
    return keys


@schema.parametrize()
@schema.given(caller=st.sampled_from(CALLERS))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_every_operation_as_every_role(case, caller, tokens):
    headers = {"Authorization": f"Token {tokens[caller]}"} if tokens[caller] else {}
    # Each request in a savepoint, as each runs in its own transaction in production: a statement the database
    # refused (answered 400) must not abort the test's transaction for the requests after it.
    with transaction.atomic():
        case.call_and_validate(headers=headers, checks=CHECKS)
