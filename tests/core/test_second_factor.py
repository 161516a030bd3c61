"""Supervisors and administrators sign in with a second factor (TOTP, or a single-use recovery code), and give
a fresh code again to approve a block order. Sessions end after a while without use."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from blocking.models import BlockOrder
from blocking.services import approve_order
from tests.factories import PASSWORD, UserFactory, make_user
from tests.factories_blocking import order_awaiting_approval
from tracker.accounts import second_factor
from tracker.core.errors import DomainError, NotPermitted
from tracker.core.models import AuditEntry, Role

pytestmark = pytest.mark.django_db


def current_code(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + offset_steps * device.step
    return f"{totp.token():06d}"


def sign_in(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD})


def supervisor_without_second_factor():
    user = UserFactory()
    user.groups.add(Group.objects.get(name="supervisor"))
    return user


def test_a_supervisor_without_one_is_sent_to_set_it_up_and_reaches_nothing_else(client):
    user = supervisor_without_second_factor()
    answer = sign_in(client, user)
    assert answer.status_code == 302
    for path in ("/", "/blocking/orders/", "/admin/"):
        refused = client.get(path)
        assert refused.status_code == 302 and refused["Location"].startswith(reverse("second-factor"))
    api = client.get("/api/v1/block-orders/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "second_factor_required"

    page = client.get(reverse("second-factor"))
    assert 'id="totp-qr"' in page.content.decode() and "<svg" in page.content.decode()
    wrong = client.post(reverse("second-factor"), {"otp_code": "000000"})
    assert "Wrong code" in wrong.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):  # a failure makes the next try wait 1 s
        confirmed = client.post(reverse("second-factor"), {"otp_code": current_code(device)})
    codes = [li.split("</code>")[0] for li in confirmed.content.decode().split("<li><code>")[1:]]
    assert len(codes) == 10
    assert client.get("/blocking/orders/").status_code == 200
    assert AuditEntry.objects.filter(object_id=str(user.pk), reason="second factor set up").exists()


def test_signing_in_asks_for_a_code_and_a_recovery_code_works_once(client):
    user = supervisor_without_second_factor()
    sign_in(client, user)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    codes = second_factor._new_recovery_codes(user)
    client.logout()

    sign_in(client, user)
    assert client.get("/").status_code == 302
    assert client.post(reverse("second-factor"), {"otp_code": "123456"}).status_code == 200
    assert client.post(reverse("second-factor"), {"otp_code": codes[0], "next": "/"}).status_code == 302
    assert client.get("/").status_code == 200
    client.logout()

    sign_in(client, user)
    reused = client.post(reverse("second-factor"), {"otp_code": codes[0]})
    assert reused.status_code == 200 and "Wrong code" in reused.content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):  # "123456" made the authenticator wait 1 s
        assert client.post(reverse("second-factor"), {"otp_code": current_code(device)}).status_code == 302
    assert client.get("/").status_code == 200


def test_an_analyst_is_not_asked(client, analyst):
    sign_in(client, analyst)
    assert client.get("/").status_code == 200


def test_approving_needs_a_fresh_code_and_a_supervisor_without_a_second_factor_cannot_approve(make_user):
    order = order_awaiting_approval(proposer=make_user("supervisor"))
    bare = supervisor_without_second_factor()
    with pytest.raises(NotPermitted, match="second factor"):
        approve_order(order=order, actor=bare, password=PASSWORD, otp_code="123456")

    approver = make_user("supervisor")
    with pytest.raises(DomainError) as refused:
        approve_order(order=order, actor=approver, password=PASSWORD, otp_code="")
    assert "otp_code" in refused.value.fields
    with pytest.raises(DomainError):
        approve_order(order=order, actor=approver, password=PASSWORD, otp_code="000000")
    device = TOTPDevice.objects.get(user=approver)
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):  # a failure makes the next try wait 1 s
        approve_order(order=order, actor=approver, password=PASSWORD, otp_code=current_code(device))
    order.refresh_from_db()
    assert order.status == BlockOrder.Status.APPROVED


def test_the_api_asks_for_the_code_when_approving(api_client, make_user):
    order = order_awaiting_approval(proposer=make_user("supervisor"))
    approver = make_user("supervisor")
    api_client.force_authenticate(approver)
    answer = api_client.post(f"/api/v1/block-orders/{order.pk}/approve/", {"password": PASSWORD}, format="json")
    assert answer.status_code == 400 and "otp_code" in answer.json()["error"]["fields"]
    device = TOTPDevice.objects.get(user=approver)
    body = {"password": PASSWORD, "otp_code": current_code(device)}
    assert api_client.post(f"/api/v1/block-orders/{order.pk}/approve/", body, format="json").status_code == 200


def test_an_administrator_resets_someone_elses_second_factor_not_their_own(make_user):
    admin, other_admin = make_user("administrator"), make_user("administrator")
    person = make_user("supervisor")
    with pytest.raises(NotPermitted):
        second_factor.reset(actor=admin, user=admin, reason="lost phone")
    with pytest.raises(NotPermitted):
        second_factor.reset(actor=make_user("supervisor"), user=person, reason="lost phone")
    second_factor.reset(actor=other_admin, user=person, reason="lost phone")
    assert not second_factor.has_second_factor(person)
    assert AuditEntry.objects.filter(object_id=str(person.pk), reason="second factor reset: lost phone").exists()


def test_a_session_ends_after_a_while_without_use(client, analyst, settings):
    settings.SESSION_IDLE_MINUTES = 30
    sign_in(client, analyst)
    assert client.get("/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=29)):
        assert client.get("/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=29 + 31)):
        ended = client.get("/")
        assert ended.status_code == 302 and ended["Location"].startswith(reverse("login"))
        assert client.get("/api/v1/me/").status_code in (401, 403)


def test_roles_that_need_it():
    assert set(second_factor.ROLES_NEEDING_IT) == {Role.SUPERVISOR, Role.ADMINISTRATOR}
    assert second_factor.required_for(make_user("administrator"))
    assert not second_factor.required_for(make_user("auditor"))
