"""Bad input found by fuzzing the API is a 4xx in the one JSON error shape, never a 500."""

import pytest

from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def assert_client_error(response, status: int = 400):
    assert response.status_code == status, response.content[:300]
    assert response.json()["error"]["status"] == status


def test_a_notification_id_that_is_not_a_number_is_not_found(api_client, analyst):
    api_client.force_authenticate(analyst)
    assert_client_error(api_client.post("/api/v1/notifications/abc/read/"), 404)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/items/?platform=te%00legram",
        "/api/v1/items/?category=a%00b",
        "/api/v1/cases/?platform=%00",
        "/api/v1/notices/?q=%00",
    ],
)
def test_a_nul_byte_in_a_query_is_refused(api_client, supervisor, url):
    CategoryFactory()
    api_client.force_authenticate(supervisor)
    assert_client_error(api_client.get(url))


def test_a_nul_byte_in_a_slug_in_the_path_is_not_found(api_client, supervisor):
    api_client.force_authenticate(supervisor)
    response = api_client.get("/api/v1/platforms/tele%00gram/")
    assert response.status_code in (400, 404)


def test_a_date_with_an_offset_postgresql_refuses_is_a_400(api_client, auditor):
    api_client.force_authenticate(auditor)
    assert_client_error(api_client.get("/api/v1/audit-entries/?at_after=2000-01-01T00:00:00%2B22:42"))


def test_json_nested_ten_thousand_deep_is_a_400(api_client, analyst):
    api_client.force_authenticate(analyst)
    body = "[" * 10_000 + "]" * 10_000
    assert_client_error(api_client.post("/api/v1/cases/", body, content_type="application/json"))
