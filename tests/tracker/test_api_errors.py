import pytest
from django.urls import reverse

from tests.factories import api_token

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status: int, code: str | None = None):
    assert response.status_code == status
    error = response.json()["error"]
    assert error["status"] == status and error["message"]
    if code:
        assert error["code"] == code
    return error


def test_unknown_api_route_is_a_json_404(client):
    assert_error_shape(client.get("/api/v1/no-such-thing/"), 404, "not_found")


def test_anonymous_api_call_is_refused_in_the_error_shape(api_client):
    response = api_client.get(reverse("api-me"))
    assert_error_shape(response, response.status_code, "not_authenticated")
    assert response.status_code in (401, 403)


def test_wrong_token_is_refused(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error_shape(api_client.get(reverse("api-me")), 401, "authentication_failed")


def test_malformed_json_is_a_400_naming_the_problem(api_client, analyst):
    api_client.force_authenticate(analyst)
    response = api_client.generic("PATCH", reverse("api-me"), "{not json", content_type="application/json")
    assert "JSON parse error" in assert_error_shape(response, 400, "parse_error")["message"]


def test_invalid_field_names_the_field(api_client, analyst):
    api_client.force_authenticate(analyst)
    response = api_client.patch(reverse("api-me"), {"time_zone": "Mars/Olympus"}, format="json")
    error = assert_error_shape(response, 400, "invalid")
    assert "time_zone" in error["fields"] and error["message"].startswith("time_zone:")


def test_token_authentication_works_for_scripts(api_client, analyst):

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(analyst)}")
    assert api_client.get(reverse("api-me")).json()["roles"] == ["analyst"]


def test_schema_and_local_docs_are_served(client, analyst):
    client.force_login(analyst)
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower()


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and b"There is no page at this address" in response.content


def test_ui_page_refused_by_role_is_a_friendly_403(client, liaison_officer):
    client.force_login(liaison_officer)
    response = client.get(reverse("audit-list"))
    assert response.status_code == 403 and b"Your role does not allow this" in response.content


def test_wrong_password_shows_the_login_page_again(client, analyst):
    response = client.post(reverse("login"), {"username": analyst.username, "password": "wrong"})
    assert response.status_code == 200 and b"did not match" in response.content


def test_every_page_forbids_outside_assets(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
