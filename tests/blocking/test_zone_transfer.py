"""The blocklist by zone transfer, end to end on loopback: the tracker's BIND primary, an ISP's BIND resolver.

An order coming into force reaches the resolver by IXFR within seconds and its names stop resolving there; a
lift reaches it too; a wrong key is refused; the tracker records which serial each ISP's resolvers hold.
"""

from datetime import timedelta

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.xfr
import dns.zone
import pytest
from django.utils import timezone

from blocking import exports, zone_transfer
from blocking.models import ZoneTransfer
from tests.blocking.bind import Primary, Resolver, UnboundResolver, ask
from tests.factories_blocking import ISPFactory, issued_lift, order_in_force

pytestmark = pytest.mark.django_db


def test_an_order_in_force_reaches_the_isp_resolver_by_ixfr_and_a_lift_follows(
    settings, supervisor, make_user, administrator, tmp_path
):
    second = make_user("supervisor")
    isp, other = ISPFactory(name="Telkom"), ISPFactory(name="Other")
    key = zone_transfer.rotate_key(isp=isp, actor=administrator)
    with Primary(settings, tmp_path / "primary") as primary:
        with Resolver(
            tmp_path / "resolver", isp_id=isp.pk, key_name=key.name, secret=key.secret, primary_port=primary.port
        ) as resolver:
            resolver.register_for(isp)
            assert ask("blocked.test.", resolver.port).rcode() == dns.rcode.NOERROR

            block = order_in_force(proposer=supervisor, approver=second, names="blocked.test\n*.tree.test")
            serial = exports.current_serial()
            pushed = {row.isp_id: row for row in zone_transfer.push_zones()}
            assert (pushed[isp.pk].how, pushed[isp.pk].names) == ("update", 2)
            seconds = resolver.wait_for_serial(serial)
            assert seconds < 5
            for name in ("blocked.test.", "tree.test.", "www.tree.test."):
                assert ask(name, resolver.port).rcode() == dns.rcode.NXDOMAIN, name
            assert ask("open.test.", resolver.port).rcode() == dns.rcode.NOERROR

            issued_lift(block=block, proposer=supervisor, approver=second, names="blocked.test")
            lift_serial = exports.current_serial()
            zone_transfer.push_zones()
            resolver.wait_for_serial(lift_serial)
            assert ask("blocked.test.", resolver.port).rcode() == dns.rcode.NOERROR
            assert ask("www.tree.test.", resolver.port).rcode() == dns.rcode.NXDOMAIN

        log = primary.log()
        assert f"({zone_transfer.zone_name(isp)}): transfer of" in log
        assert zone_transfer.record_transfers() >= 2
        assert zone_transfer.record_transfers() == 0  # read from where it stopped

    transfers = list(ZoneTransfer.objects.filter(isp=isp).order_by("transferred_at"))
    assert [transfer.kind for transfer in transfers][:1] == ["AXFR"]
    assert {transfer.kind for transfer in transfers[1:]} == {"IXFR"}
    assert transfers[-1].serial == lift_serial and transfers[-1].key_name == key.name
    assert transfers[-1].lag is not None and transfers[-1].lag < timedelta(seconds=30)
    assert not ZoneTransfer.objects.filter(isp=other).exists()
    state = zone_transfer.zone_states([isp])[0]
    assert state.current and f"at the current serial {lift_serial}" in state.summary


def test_an_unbound_resolver_transfers_from_its_registered_address_and_blocks_the_names(
    settings, supervisor, make_user, tmp_path
):
    """Unbound does not sign transfers with TSIG: the ISP registers its address, as the README says."""
    second = make_user("supervisor")
    isp = ISPFactory(name="Telkom")
    with Primary(settings, tmp_path / "primary") as primary:
        with UnboundResolver(tmp_path / "unbound", isp_id=isp.pk, primary_port=primary.port) as unbound:
            isp.transfer_addresses = f"127.0.0.1#{unbound.port}"
            isp.save(update_fields=["transfer_addresses"])
            zone_transfer.push_zones()
            block = order_in_force(proposer=supervisor, approver=second, names="blocked.test\n*.tree.test")
            assert zone_transfer.push_zones()[0].how == "update"
            assert unbound.wait_for("blocked.test.", dns.rcode.NXDOMAIN) < 10
            assert ask("www.tree.test.", unbound.port).rcode() == dns.rcode.NXDOMAIN
            assert ask("open.test.", unbound.port).rcode() == dns.rcode.NOERROR

            issued_lift(block=block, proposer=supervisor, approver=second, names="blocked.test")
            zone_transfer.push_zones()
            unbound.wait_for("blocked.test.", dns.rcode.NOERROR)
            assert ask("www.tree.test.", unbound.port).rcode() == dns.rcode.NXDOMAIN
        zone_transfer.record_transfers()
    assert ZoneTransfer.objects.get(isp=isp, serial=exports.current_serial(), key_name="").kind == "IXFR"


def _axfr(zone: str, port: int, keyring=None, keyname=None):
    query = dns.message.make_query(f"{zone}.", "AXFR")
    if keyring:
        query.use_tsig(keyring, keyname=keyname)
    return dns.query.tcp(query, "127.0.0.1", port=port, timeout=5)


def test_each_isp_gets_only_its_own_names_and_only_with_its_own_key(
    settings, supervisor, make_user, administrator, tmp_path
):
    second = make_user("supervisor")
    isp, other = ISPFactory(name="Telkom"), ISPFactory(name="Other")
    mine = zone_transfer.rotate_key(isp=isp, actor=administrator)
    theirs = zone_transfer.rotate_key(isp=other, actor=administrator)
    order_in_force(proposer=supervisor, approver=second, names="only-telkom.test", isps=[isp])
    with Primary(settings, tmp_path / "primary") as primary:
        zone_transfer.push_zones()
        zone = zone_transfer.zone_name(isp)

        def keyring(key, secret=None):
            return dns.tsigkeyring.from_text({key.name: (dns.tsig.HMAC_SHA256, secret or key.secret)})

        names = {
            rrset.name.to_text()
            for message in [_axfr(zone, primary.port, keyring(mine), mine.name)]
            for rrset in message.answer
        }
        assert f"only-telkom.test.{zone}." in names
        other_zone = zone_transfer.zone_name(other)
        answer = _axfr(other_zone, primary.port, keyring(theirs), theirs.name)
        assert not any("only-telkom" in rrset.name.to_text() for rrset in answer.answer)

        # Telkom's key does not open the other ISP's zone; no key, or a wrong secret, opens none.
        assert _axfr(other_zone, primary.port, keyring(mine), mine.name).rcode() == dns.rcode.REFUSED
        assert _axfr(zone, primary.port).rcode() == dns.rcode.REFUSED
        wrong = zone_transfer.new_secret()
        with pytest.raises(dns.tsig.PeerBadSignature):
            _axfr(zone, primary.port, keyring(mine, wrong), mine.name)

        # Rotating: the new key works at once, the old one no longer does.
        new = zone_transfer.rotate_key(isp=isp, actor=administrator)
        zone_transfer.push_zones()
        assert _axfr(zone, primary.port, keyring(new), new.name).rcode() == dns.rcode.NOERROR
        with pytest.raises(dns.tsig.PeerBadKey):
            _axfr(zone, primary.port, keyring(mine), mine.name)


def test_a_change_too_big_for_one_update_is_reloaded_and_still_served_by_ixfr(
    settings, supervisor, make_user, administrator, tmp_path
):
    settings.BLOCKING_BIND_UPDATE_MAX_NAMES = 1
    second = make_user("supervisor")
    isp = ISPFactory(name="Telkom")
    key = zone_transfer.rotate_key(isp=isp, actor=administrator)
    with Primary(settings, tmp_path / "primary") as primary:
        with Resolver(
            tmp_path / "resolver", isp_id=isp.pk, key_name=key.name, secret=key.secret, primary_port=primary.port
        ) as resolver:
            resolver.register_for(isp)
            order_in_force(proposer=supervisor, approver=second, names="blocked.test\nother.test")
            pushed = zone_transfer.push_zones()
            assert pushed[0].how == "reload"
            resolver.wait_for_serial(exports.current_serial())
            assert ask("other.test.", resolver.port).rcode() == dns.rcode.NXDOMAIN
        zone_transfer.record_transfers()
    assert ZoneTransfer.objects.filter(isp=isp, kind="IXFR", serial=exports.current_serial()).exists()


def test_a_new_version_queues_a_push_after_commit(
    settings, supervisor, make_user, tmp_path, django_capture_on_commit_callbacks, monkeypatch
):
    settings.BLOCKING_BIND_DIR = str(tmp_path)
    monkeypatch.setattr(zone_transfer, "named_program", lambda: "/usr/sbin/named")
    queued = []
    monkeypatch.setattr("blocking.tasks.push_zones_task.delay", lambda: queued.append(timezone.now()))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order_in_force(proposer=supervisor, approver=make_user("supervisor"), names="blocked.test")
    assert not queued  # nothing before the commit
    for callback in callbacks:
        callback()
    assert len(queued) == 1


def test_zone_transfer_is_off_when_its_directory_is_unset(settings, supervisor, make_user, monkeypatch):
    settings.BLOCKING_BIND_DIR = ""
    queued = []
    monkeypatch.setattr("blocking.tasks.push_zones_task.delay", lambda: queued.append(1))
    order_in_force(proposer=supervisor, approver=make_user("supervisor"), names="blocked.test")
    zone_transfer.queue_push()
    assert not queued


def test_a_name_blocked_exactly_by_one_order_stays_when_another_lifts_its_subtree(
    settings, supervisor, make_user, tmp_path
):
    second = make_user("supervisor")
    isp = ISPFactory()
    with Primary(settings, tmp_path / "primary") as primary:
        zone_transfer.push_zones()
        order_in_force(proposer=supervisor, approver=second, names="tree.test")
        subtree = order_in_force(proposer=supervisor, approver=second, names="*.tree.test")
        assert zone_transfer.push_zones()[0].how == "update"
        assert _records(isp, primary.port) == {"tree.test", "*.tree.test"}
        issued_lift(block=subtree, proposer=supervisor, approver=second)
        assert zone_transfer.push_zones()[0].how == "update"
        assert _records(isp, primary.port) == {"tree.test"}


def _records(isp, port: int) -> set[str]:
    """The CNAME owners of the ISP's zone on the primary, relative to the zone (read with the tracker's key)."""
    zone = zone_transfer.zone_name(isp)
    answer = _axfr(zone, port, zone_transfer.update_keyring(), zone_transfer.UPDATE_KEY)
    return {
        rrset.name.to_text().removesuffix(f".{zone}.") for rrset in answer.answer if rrset.rdtype == dns.rdatatype.CNAME
    }


def test_an_update_computed_from_an_older_version_is_refused_not_applied_twice(
    settings, supervisor, make_user, tmp_path
):
    second = make_user("supervisor")
    isp = ISPFactory()
    with Primary(settings, tmp_path / "primary") as primary:
        zone_transfer.push_zones()
        order_in_force(proposer=supervisor, approver=second, names="blocked.test")
        stale, _names = zone_transfer._update(isp, 0, exports.current_serial())
        zone_transfer.push_zones()
        assert zone_transfer._send(stale).rcode() == dns.rcode.NXRRSET
        assert _records(isp, primary.port) == {"blocked.test"}
        assert zone_transfer.served_serial(isp) == exports.current_serial()
