"""Administrators manage users, roles and reference data, nothing else: no item, notice or block order
through any door. Nobody is a Django superuser by default, so no one passes every permission check."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from blocking.models import BlockOrder
from tests.factories import PASSWORD, CaseFactory
from tests.factories_blocking import draft_order, order_awaiting_approval
from tracker.core.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(make_user):
    return make_user("administrator")


def order_body() -> dict:
    return {
        "names": "web.telegram.org",
        "justification": "six notices unanswered",
        "legal_basis": "Law 19/2016 art. 40(2b)",
        "effective_at": (timezone.now() + timedelta(hours=1)).isoformat(),
    }


def test_an_administrator_cannot_draft_submit_or_approve_an_order_through_the_api(api_client, administrator, make_user):
    api_client.force_authenticate(administrator)
    assert api_client.post("/api/v1/block-orders/", order_body(), format="json").status_code == 403
    order = order_awaiting_approval(proposer=make_user("supervisor"))
    approve = api_client.post(f"/api/v1/block-orders/{order.pk}/approve/", {"password": PASSWORD}, format="json")
    assert approve.status_code == 403
    draft = draft_order(proposer=make_user("supervisor"))
    assert api_client.post(f"/api/v1/block-orders/{draft.pk}/submit/", format="json").status_code == 403
    order.refresh_from_db()
    draft.refresh_from_db()
    assert (order.status, draft.status) == (BlockOrder.Status.AWAITING_APPROVAL, BlockOrder.Status.DRAFT)
    assert not BlockOrder.objects.filter(proposed_by=administrator).exists()


def test_an_administrator_cannot_approve_an_order_through_the_ui(client, administrator, make_user):
    order = order_awaiting_approval(proposer=make_user("supervisor"))
    client.force_login(administrator)
    assert client.get(reverse("blocking-order-new")).status_code == 403
    response = client.post(reverse("blocking-order-action", args=[order.pk, "approve"]), {"password": PASSWORD})
    assert response.status_code in (302, 403)
    order.refresh_from_db()
    assert order.status == BlockOrder.Status.AWAITING_APPROVAL


def test_an_administrator_cannot_log_items_or_send_notices(client, administrator):
    client.force_login(administrator)
    assert client.get(reverse("items-new")).status_code == 403
    case = CaseFactory()
    assert client.post(reverse("notices-case-send", args=[case.pk])).status_code == 403


def test_an_administrator_still_manages_reference_data(administrator):
    assert administrator.has_perm("platforms.add_platform") and administrator.has_perm("tracker.change_category")
    assert administrator.has_perm("tracker.change_user")
    assert not administrator.has_perm("blocking.approve_blockorder")
    assert not administrator.has_perm("tracker.add_flaggeditem")
    assert not administrator.has_perm("notices.send_notice")


def test_the_first_administrator_is_staff_but_not_a_superuser(monkeypatch):
    monkeypatch.setenv("TRACKER_ADMIN_PASSWORD", "first administrator 2017")
    call_command("ensure_admin")
    admin = User.objects.get(groups__name=Role.ADMINISTRATOR)
    assert admin.is_staff and not admin.is_superuser
    assert not admin.has_perm("blocking.approve_blockorder")


def test_an_administrator_made_a_superuser_by_an_earlier_release_is_one_no_longer(administrator):
    from importlib import import_module

    from django.apps import apps

    User.objects.filter(pk=administrator.pk).update(is_superuser=True)
    migration = import_module("tracker.core.migrations.0005_administrators_are_not_superusers")
    migration.revoke_superuser(apps, None)
    administrator = User.objects.get(pk=administrator.pk)
    assert administrator.is_staff and not administrator.is_superuser
    assert not administrator.has_perm("blocking.approve_blockorder")
