"""The OpenAPI schema is valid OpenAPI 3 (openapi-spec-validator), generates without a warning, and documents
the error answers every operation can give."""

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from openapi_spec_validator import validate


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_is_valid_openapi(schema):
    validate(schema)


def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_every_operation_documents_its_errors_in_the_one_shape(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"400", "401", "403"} <= responses.keys(), f"{method.upper()} {path}"
            if "{" in path:
                assert "404" in responses, f"{method.upper()} {path}"
            assert responses["403"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_request_bodies_say_that_unknown_fields_are_refused(schema):
    body = schema["paths"]["/api/v1/api-tokens/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert component["additionalProperties"] is False
