"""Zone-transfer keys and records without a DNS server: keys made and rotated by administrators only (API and
page), the transfer log read into records, and what the order and ISP pages and the API show of them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from blocking import exports, zone_transfer
from blocking.models import BlocklistVersion, ZoneTransfer, ZoneTransferKey
from tests.factories_blocking import ISPFactory, isp_user, order_in_force

pytestmark = pytest.mark.django_db

# As BIND 9.18 writes them (print-time iso8601-utc), taken from a real run of tests/blocking/test_zone_transfer.py.
LOG = """\
2026-12-05T17:07:07.569Z client @0x7f4e9e86dc98 127.0.0.1#42597/key isp-{isp}-eebb8c66 ({zone}): transfer of '{zone}/IN': AXFR started: TSIG isp-{isp}-eebb8c66 (serial 0)
2026-12-05T17:07:07.569Z client @0x7f4e9e86dc98 127.0.0.1#42597/key isp-{isp}-eebb8c66 ({zone}): transfer of '{zone}/IN': AXFR ended: 1 messages, 3 records, 238 bytes, 0.001 secs (238000 bytes/sec) (serial 0)
2026-12-05T17:07:10.337Z client @0x7f4e9e85fc98 127.0.0.1#46595/key isp-{isp}-eebb8c66 ({zone}): transfer of '{zone}/IN': AXFR-style IXFR ended: 1 messages, 6 records, 324 bytes, 0.001 secs (324000 bytes/sec) (serial 1)
2026-12-05T17:07:12.337Z client @0x7f4e9d913498 192.0.2.7#32885 ({zone}): transfer of '{zone}/IN': IXFR started (serial 1 -> 2)
2026-12-05T17:07:12.337Z client @0x7f4e9d913498 192.0.2.7#32885 ({zone}): transfer of '{zone}/IN': IXFR ended: 1 messages, 5 records, 349 bytes, 0.001 secs (349000 bytes/sec) (serial 2)
2026-12-05T17:07:13.000Z client @0x7f4e9d913498 127.0.0.1#40405 (other.zone): zone transfer 'other.zone/AXFR/IN' denied
"""  # noqa: E501


@pytest.fixture
def bind_dir(settings, tmp_path):
    settings.BLOCKING_BIND_DIR = str(tmp_path)
    return tmp_path


def test_the_transfer_log_becomes_records_once_each(bind_dir):
    isp = ISPFactory()
    BlocklistVersion.objects.create(serial=2, created_at=datetime(2026, 12, 5, 17, 7, 8, tzinfo=UTC))
    log = LOG.format(isp=isp.pk, zone=zone_transfer.zone_name(isp))
    lines = log.splitlines(keepends=True)
    (bind_dir / "xfer.log").write_text("".join(lines[:3]) + lines[3][:40])  # a line still being written
    assert zone_transfer.record_transfers() == 2
    with (bind_dir / "xfer.log").open("a") as handle:
        handle.write(lines[3][40:] + "".join(lines[4:]))
    assert zone_transfer.record_transfers() == 1
    assert zone_transfer.record_transfers() == 0

    rows = list(ZoneTransfer.objects.order_by("transferred_at").values_list("serial", "kind", "client", "key_name"))
    assert rows == [
        (0, "AXFR", "127.0.0.1", f"isp-{isp.pk}-eebb8c66"),
        (1, "AXFR", "127.0.0.1", f"isp-{isp.pk}-eebb8c66"),
        (2, "IXFR", "192.0.2.7", ""),
    ]
    assert ZoneTransfer.objects.get(serial=2).lag == timedelta(seconds=4, microseconds=337000)

    (bind_dir / "xfer.log.position").unlink()  # read again from the start: nothing is recorded twice
    zone_transfer.record_transfers()
    assert ZoneTransfer.objects.count() == 3


def test_an_administrator_makes_a_key_shown_once_and_rotating_revokes_the_old(api_client, administrator):
    isp = ISPFactory()
    api_client.force_authenticate(administrator)
    first = api_client.post(f"/api/v1/isps/{isp.pk}/zone-key/")
    assert first.status_code == 201, first.content
    assert first["Cache-Control"] == "no-store"
    body = first.json()
    assert body["algorithm"] == "hmac-sha256" and len(body["secret"]) == 44
    assert body["zone"] == zone_transfer.zone_name(isp)
    second = api_client.post(f"/api/v1/isps/{isp.pk}/zone-key/").json()
    keys = {key.name: key.revoked_at for key in ZoneTransferKey.objects.filter(isp=isp)}
    assert keys[body["name"]] is not None and keys[second["name"]] is None

    shown = api_client.get(f"/api/v1/isps/{isp.pk}/zone/").json()
    assert shown["key_name"] == second["name"]
    assert second["secret"] not in str(shown) and second["secret"] not in str(api_client.get("/api/v1/isps/").json())


@pytest.mark.parametrize("role", ["supervisor", "liaison_officer", "analyst", "auditor", "isp"])
def test_no_other_role_makes_a_key_not_even_a_supervisor(api_client, make_user, client, role):
    isp = ISPFactory()
    user = isp_user(isp) if role == "isp" else make_user(role)
    api_client.force_authenticate(user)
    assert api_client.post(f"/api/v1/isps/{isp.pk}/zone-key/").status_code == 403
    client.force_login(user)
    assert client.post(f"/blocking/isps/{isp.pk}/zone-key/").status_code == 403
    assert not ZoneTransferKey.objects.exists()


def test_the_key_page_shows_the_secret_once_and_the_isp_page_never(client, administrator):
    isp = ISPFactory(name="Telkom")
    client.force_login(administrator)
    page = client.post(f"/blocking/isps/{isp.pk}/zone-key/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    key = ZoneTransferKey.objects.get(isp=isp)
    assert key.secret in page.content.decode()
    isp_page = client.get(f"/blocking/isps/{isp.pk}/").content.decode()
    assert key.name in isp_page and key.secret not in isp_page


def test_transfer_addresses_are_ip_addresses_with_an_optional_port(api_client, administrator):
    isp = ISPFactory()
    api_client.force_authenticate(administrator)
    refused = api_client.patch(f"/api/v1/isps/{isp.pk}/", {"transfer_addresses": ["resolver.example"]}, format="json")
    assert refused.status_code == 400
    assert "transfer_addresses" in refused.json()["error"]["fields"]
    taken = api_client.patch(
        f"/api/v1/isps/{isp.pk}/", {"transfer_addresses": ["192.0.2.7", "2001:db8::7#5353"]}, format="json"
    )
    assert taken.status_code == 200, taken.content
    isp.refresh_from_db()
    assert isp.transfer_peers() == [("192.0.2.7", 53), ("2001:db8::7", 5353)]


def test_the_order_page_and_api_show_which_isps_have_the_order_and_how_soon(
    client, api_client, supervisor, make_user, settings
):
    settings.BLOCKING_BIND_DIR = ""
    telkom, indosat = ISPFactory(name="Telkom"), ISPFactory(name="Indosat")
    order = order_in_force(proposer=supervisor, approver=make_user("supervisor"), names="blocked.example.com")
    version = BlocklistVersion.objects.get(order=order)
    ZoneTransfer.objects.create(
        isp=telkom,
        serial=version.serial,
        kind="IXFR",
        client="192.0.2.7",
        transferred_at=version.created_at + timedelta(seconds=4),
    )
    ZoneTransfer.objects.create(
        isp=indosat, serial=version.serial - 1, kind="AXFR", client="192.0.2.8", transferred_at=version.created_at
    )
    api_client.force_authenticate(supervisor)
    rows = {row["isp_name"]: row for row in api_client.get(f"/api/v1/block-orders/{order.pk}/zone-transfers/").json()}
    assert (rows["Telkom"]["has_order"], rows["Telkom"]["lag_seconds"]) == (True, 4.0)
    assert (rows["Indosat"]["has_order"], rows["Indosat"]["serial"]) == (False, version.serial - 1)

    client.force_login(supervisor)
    page = client.get(f"/blocking/orders/{order.pk}/").content.decode()
    assert f"serial {version.serial}, 4 s after issue" in page
    assert "Indosat&#x27;s resolvers are behind" in page


def test_the_isp_page_shows_its_resolvers_at_the_current_serial(client, administrator, supervisor, make_user):
    isp = ISPFactory(name="Telkom")
    order_in_force(proposer=supervisor, approver=make_user("supervisor"), names="blocked.example.com")
    serial = exports.current_serial()
    ZoneTransfer.objects.create(
        isp=isp, serial=serial, kind="IXFR", client="192.0.2.7", transferred_at=datetime.now(UTC), lag=timedelta(0)
    )
    client.force_login(administrator)
    page = client.get(f"/blocking/isps/{isp.pk}/").content.decode()
    assert f"Telkom&#x27;s resolvers are at the current serial {serial}" in page


def test_the_configuration_is_written_with_secrets_readable_by_the_owner_only(bind_dir, administrator, capsys):
    isp = ISPFactory(transfer_addresses="192.0.2.7\n2001:db8::7#5353")
    key = zone_transfer.rotate_key(isp=isp, actor=administrator)
    call_command("write_bind_config")
    assert "named -f -c" in capsys.readouterr().out
    conf = (bind_dir / "named.conf").read_text()
    assert f'zone "{zone_transfer.zone_name(isp)}"' in conf
    assert f"allow-transfer {{ key tracker-update; key {key.name}; 192.0.2.7; 2001:db8::7; }};" in conf
    assert "also-notify { 192.0.2.7 port 53; 2001:db8::7 port 5353; };" in conf
    assert key.secret not in conf
    assert key.secret in (bind_dir / "isp-keys.conf").read_text()
    for secret_file in ("isp-keys.conf", "tracker-keys.conf", "rndc.conf"):
        assert (bind_dir / secret_file).stat().st_mode & 0o077 == 0, secret_file
    assert zone_transfer.zone_file(isp).read_text().count("IN SOA") == 1
