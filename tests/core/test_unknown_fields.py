"""The API refuses a field it does not take, naming it, instead of ignoring it: a lift sent as
`"kind": "lift"` to the block-order route once came back 201 as a block order."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blocking.models import BlockOrder
from tests.factories import PlatformFactory

pytestmark = pytest.mark.django_db


def test_a_block_order_with_a_kind_field_is_refused_naming_it(api_client, supervisor):
    api_client.force_authenticate(supervisor)
    body = {
        "kind": "lift",
        "names": "web.telegram.org",
        "justification": "complied",
        "legal_basis": "art. 40",
        "effective_at": (timezone.now() + timedelta(hours=1)).isoformat(),
    }
    response = api_client.post("/api/v1/block-orders/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"kind": ["This field is not taken here."]}
    assert not BlockOrder.objects.exists()


def test_a_case_opened_with_a_status_is_refused(api_client, analyst):
    api_client.force_authenticate(analyst)
    platform = PlatformFactory()
    response = api_client.post(
        "/api/v1/cases/", {"platform": platform.slug, "title": "Channels", "status": "closed"}, format="json"
    )
    assert response.status_code == 400 and "status" in response.json()["error"]["fields"]


def test_preferences_with_an_unknown_field_are_refused(api_client, analyst):
    api_client.force_authenticate(analyst)
    response = api_client.patch("/api/v1/me/", {"time_zone": "Asia/Jakarta", "is_superuser": True}, format="json")
    assert response.status_code == 400 and "is_superuser" in response.json()["error"]["fields"]
    analyst.refresh_from_db()
    assert not analyst.is_superuser
