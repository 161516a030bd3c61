"""The blocklist of before (one entry per name, national change rows) becomes periods per (name, order): what
each ISP had to block stays what it has to block, and the national history stays readable as of any date."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from blocking import exports
from blocking.models import ISP, BlocklistPeriod

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("blocking", "0007_compliance_alerts")]
AFTER = [("blocking", "0008_blocklist_periods_and_past_orders")]
T1, T2 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def old_blocklist(apps):
    """Indosat's order put shared and only-theirs in the list (version 1); Telkom's order for shared made no
    version; a lift took only-theirs out (version 2)."""
    user = apps.get_model(*settings.AUTH_USER_MODEL.split(".")).objects.create(username="old-supervisor")
    ISPModel, Order = apps.get_model("blocking", "ISP"), apps.get_model("blocking", "BlockOrder")
    telkom = ISPModel.objects.create(name="Telkom", licence_number="L1", contact_email="noc@telkom.example")
    indosat = ISPModel.objects.create(name="Indosat", licence_number="L2", contact_email="noc@indosat.example")
    orders = {}
    for reference, kind, isp, at in (
        ("BO-1", "block", indosat, T1),
        ("BO-2", "block", telkom, T1 + timedelta(days=1)),
        ("LO-3", "lift", indosat, T2),
    ):
        orders[reference] = Order.objects.create(
            reference=reference,
            kind=kind,
            status="in_force",
            justification="j",
            legal_basis="l",
            effective_at=at,
            in_force_at=at,
            binds_all_isps=False,
            proposed_by=user,
            lifts=orders.get("BO-1") if kind == "lift" else None,
        )
        apps.get_model("blocking", "OrderRecipient").objects.create(
            order=orders[reference], isp=isp, acknowledge_due_at=at, implement_due_at=at
        )
    Name = apps.get_model("blocking", "OrderName")
    Name.objects.create(order=orders["BO-1"], name="shared.example.com")
    Name.objects.create(order=orders["BO-1"], name="only-theirs.example.com")
    Name.objects.create(order=orders["BO-2"], name="shared.example.com")
    Name.objects.create(order=orders["LO-3"], name="only-theirs.example.com")
    Version = apps.get_model("blocking", "BlocklistVersion")
    Version.objects.create(serial=1, created_at=T1, order=orders["BO-1"], names_in_force=2, added=2)
    Version.objects.create(serial=2, created_at=T2, order=orders["LO-3"], names_in_force=1, removed=1)
    apps.get_model("blocking", "BlocklistEntry").objects.create(
        name="shared.example.com", order=orders["BO-1"], since_serial=1
    )
    Change = apps.get_model("blocking", "BlocklistChange")
    Change.objects.create(serial=1, name="shared.example.com", added=True, order=orders["BO-1"])
    Change.objects.create(serial=1, name="only-theirs.example.com", added=True, order=orders["BO-1"])
    Change.objects.create(serial=2, name="only-theirs.example.com", added=False, order=orders["LO-3"])


def test_the_old_blocklist_becomes_periods_per_name_and_order():
    try:
        old_blocklist(migrate(BEFORE))
        migrate(AFTER)
        periods = {
            (
                p.name,
                p.order.reference,
                p.since_serial,
                p.until_serial,
                tuple(p.isps.isps.values_list("name", flat=True)),
            )
            for p in BlocklistPeriod.objects.select_related("order")
        }
        assert periods == {
            ("shared.example.com", "BO-1", 1, None, ("Indosat",)),
            ("only-theirs.example.com", "BO-1", 1, 2, ("Indosat",)),
            ("shared.example.com", "BO-2", 1, None, ("Telkom",)),
        }
        # Only the columns of 0008's schema: later migrations add others to the ISP table.
        isps = ISP.objects.only("pk", "name")
        telkom, indosat = isps.get(name="Telkom"), isps.get(name="Indosat")
        assert exports.get_export("txt", isp=telkom).path.read_text().splitlines()[1:] == ["shared.example.com"]
        assert exports.get_export("txt", isp=indosat).path.read_text().splitlines()[1:] == ["shared.example.com"]
        as_of = exports.get_export("txt", at=T1 + timedelta(days=2)).path.read_text().splitlines()[1:]
        assert sorted(as_of) == ["only-theirs.example.com", "shared.example.com"]
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
