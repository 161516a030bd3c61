"""What is in force is kept per (name, order): one order's start or end never takes another order's names, and
every ISP's list changes only with a new version (its RPZ serial), so an ISP that refetches on a new serial
never misses a change."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blocking import exports, services
from blocking.models import BlockOrder
from tests.factories_blocking import ISPFactory, isp_user, issued_lift, order_in_force

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_supervisor(make_user):
    return make_user("supervisor")


@pytest.fixture
def telkom():
    return ISPFactory(name="Telkom")


@pytest.fixture
def indosat():
    return ISPFactory(name="Indosat")


@pytest.fixture
def block(supervisor, second_supervisor):
    def put_in_force(names: str, *isps, **kw):
        return order_in_force(
            proposer=supervisor, approver=second_supervisor, names=names, isps=list(isps) or None, **kw
        )

    return put_in_force


def names(isp=None) -> list[str]:
    return exports.get_export("txt", isp=isp).path.read_text().splitlines()[1:]


def soa_serial(isp=None) -> int:
    rpz = exports.get_export("rpz", isp=isp).path.read_text()
    return int(next(line for line in rpz.splitlines() if " SOA " in line).split()[5])


def test_binding_an_isp_to_a_name_already_in_the_national_list_makes_a_new_version(block, telkom, indosat):
    block("shared.example.com", indosat)
    before = soa_serial(telkom)
    assert names(telkom) == []
    block("shared.example.com", telkom)
    assert names(telkom) == ["shared.example.com"]
    assert soa_serial(telkom) == before + 1 == exports.current_serial()


def test_an_order_ending_makes_a_new_version_even_when_the_national_list_keeps_the_name(block, telkom, indosat):
    block("shared.example.com", indosat)
    mine = block("shared.example.com", telkom, ends_at=timezone.now() + timedelta(days=1))
    before = soa_serial(telkom)
    services.end_order(order_id=mine.pk, now=mine.ends_at)
    assert names(telkom) == [] and names(indosat) == ["shared.example.com"]
    assert soa_serial(telkom) == before + 1


def test_ending_the_order_that_first_blocked_a_name_keeps_it_while_another_order_blocks_it(block, telkom, indosat):
    first = block("shared.example.com\nonly-first.example.com", indosat, ends_at=timezone.now() + timedelta(days=1))
    block("shared.example.com", telkom)
    services.end_order(order_id=first.pk, now=first.ends_at)
    assert names() == ["shared.example.com"]
    assert names(telkom) == ["shared.example.com"] and names(indosat) == []
    assert exports.get_diff(2, 3).path.read_text().splitlines()[1:] == ["-only-first.example.com"]


def test_a_lift_of_one_order_never_ends_another_order_whose_names_another_order_put_in_the_list(
    block, supervisor, second_supervisor, telkom, indosat
):
    block("shared.example.com", indosat)
    mine = block("shared.example.com", telkom)  # every name of it was in the list already
    unrelated = block("other.example.com", indosat)
    issued_lift(block=unrelated, proposer=supervisor, approver=second_supervisor)
    mine.refresh_from_db()
    unrelated.refresh_from_db()
    assert mine.status == BlockOrder.Status.IN_FORCE and unrelated.status == BlockOrder.Status.LIFTED
    assert names(telkom) == ["shared.example.com"]


def test_an_order_binds_the_isps_listed_at_its_issue_not_one_registered_later(block, telkom, api_client):
    everyone = order_in_force_for_every_isp(block)
    later = ISPFactory(name="Biznet")
    assert names(later) == [] and names(telkom) == ["every.example.com"]
    assert not everyone.recipients.filter(isp=later).exists()
    api_client.force_authenticate(isp_user(later))
    assert api_client.get(f"/api/v1/block-orders/{everyone.pk}/").status_code == 404
    # Binding it takes an order of its own, approved and issued to it like any other.
    block("every.example.com", later)
    assert names(later) == ["every.example.com"]


def order_in_force_for_every_isp(block):
    order = block("every.example.com")  # no ISPs named: every active ISP at issue
    assert order.binds_all_isps
    return order
