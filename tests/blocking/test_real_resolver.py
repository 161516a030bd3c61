"""The tracker's RPZ loaded into a real Unbound on loopback; the compliance task judges real resolvers.

Nothing leaves the machine: Unbound answers only from local authoritative zones (a stub root and "test."),
with fallback disabled, no forwarding, and outgoing queries bound to loopback.
"""

import shutil
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import pytest

from blocking import exports
from blocking.models import ComplianceCheck
from blocking.tasks import check_compliance
from tests.factories_blocking import ISPFactory, issued_lift, order_in_force
from tests.services import require_program

pytestmark = pytest.mark.django_db

ROOT_ZONE = """$ORIGIN .
@ 3600 IN SOA a.root.test. host.test. 1 3600 600 86400 300
@ 3600 IN NS a.root.test.
"""
TEST_ZONE = """$ORIGIN test.
@ 300 IN SOA ns.test. host.test. 1 3600 600 86400 300
@ 300 IN NS ns.test.
ns 300 IN A 127.0.0.1
blocked 300 IN A 192.0.2.10
tree 300 IN A 192.0.2.11
www.tree 300 IN A 192.0.2.12
deep.www.tree 300 IN A 192.0.2.13
open 300 IN A 192.0.2.20
lifted 300 IN A 192.0.2.30
under_score 300 IN A 192.0.2.40
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ask(name: str, port: int):
    return dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=port, timeout=2)


def local_auth_zones(directory: Path) -> str:
    """Unbound's stub root and "test." zone, served from files in `directory`: nothing leaves the machine."""
    return f"""auth-zone:
  name: "."
  zonefile: "{directory / "root.zone"}"
  for-upstream: yes
  for-downstream: no
  fallback-enabled: no
auth-zone:
  name: "test."
  zonefile: "{directory / "test.zone"}"
  for-upstream: yes
  for-downstream: no
  fallback-enabled: no
"""


class Unbound:
    def __init__(self, directory: Path, rpz: Path | None, zone: str = TEST_ZONE):
        self.binary = require_program("unbound", "unbound")
        self.directory, self.port = directory, free_port()
        directory.mkdir()
        (directory / "root.zone").write_text(ROOT_ZONE)
        (directory / "test.zone").write_text(zone)
        rpz_clause = ""
        if rpz is not None:
            shutil.copy(rpz, directory / "blocklist.rpz")
            rpz_clause = f'rpz:\n  name: "{exports.rpz_zone()}"\n  zonefile: "{directory / "blocklist.rpz"}"\n'
        (directory / "unbound.conf").write_text(
            f"""server:
  interface: 127.0.0.1
  port: {self.port}
  outgoing-interface: 127.0.0.1
  do-ip6: no
  do-tcp: yes
  username: ""
  chroot: ""
  directory: "{directory}"
  pidfile: "{directory / "unbound.pid"}"
  use-syslog: no
  logfile: ""
  verbosity: 1
  module-config: "respip iterator"
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  local-zone: "test." nodefault
{local_auth_zones(directory)}{rpz_clause}"""
        )

    def __enter__(self):
        checkconf = require_program("unbound-checkconf", "unbound")
        subprocess.run([checkconf, str(self.directory / "unbound.conf")], check=True, capture_output=True)
        self.process = subprocess.Popen(
            [self.binary, "-d", "-c", str(self.directory / "unbound.conf")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if ask("open.test.", self.port).rcode() == dns.rcode.NOERROR:
                    return self
            except (dns.exception.Timeout, OSError):
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.process.kill()
        pytest.fail(f"unbound did not start: {self.process.stdout.read().decode()[-3000:]}")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=10)


def test_rpz_export_blocks_in_unbound_and_compliance_tells_blocking_from_non_blocking_resolvers(
    supervisor, make_user, tmp_path
):
    second = make_user("supervisor")
    # Registered before the order is issued, so it binds them (an order binds the ISPs there when it is issued).
    compliant, lagging = ISPFactory(name="Blocks"), ISPFactory(name="Ignores")
    ISPFactory(name="Unchecked")  # no resolvers listed: never queried
    block = order_in_force(
        proposer=supervisor, approver=second, names="blocked.test\n*.tree.test\nlifted.test\nunder_score.test"
    )
    issued_lift(
        block=block, proposer=supervisor, approver=second, names="lifted.test", effective_in=timedelta(minutes=1)
    )
    rpz = exports.get_export("rpz").path

    with Unbound(tmp_path / "blocking", rpz) as blocking, Unbound(tmp_path / "open", None) as open_resolver:
        for name in ("blocked.test.", "tree.test.", "www.tree.test.", "deep.www.tree.test.", "under_score.test."):
            assert ask(name, blocking.port).rcode() == dns.rcode.NXDOMAIN, name
            assert ask(name, open_resolver.port).rcode() == dns.rcode.NOERROR, name
        for name in ("open.test.", "lifted.test."):
            answer = ask(name, blocking.port)
            assert answer.rcode() == dns.rcode.NOERROR and answer.answer, name

        compliant.resolver_addresses = f"127.0.0.1:{blocking.port}"
        lagging.resolver_addresses = f"127.0.0.1:{open_resolver.port}"
        for isp in (compliant, lagging):
            isp.save(update_fields=["resolver_addresses"])
        check_compliance()

    results = {
        isp: dict(ComplianceCheck.objects.filter(isp__name=isp).values_list("name", "result"))
        for isp in ("Blocks", "Ignores", "Unchecked")
    }
    assert results["Blocks"] == {
        "blocked.test": "compliant",
        "tree.test": "compliant",
        "under_score.test": "compliant",
        "lifted.test": "compliant",
    }
    assert results["Ignores"]["blocked.test"] == "non_compliant"
    assert results["Ignores"]["tree.test"] == "non_compliant"
    assert results["Ignores"]["lifted.test"] == "compliant"  # it resolves normally again
    assert results["Unchecked"] == {}
    assert {check.resolver for check in ComplianceCheck.objects.filter(isp=compliant)} == {f"127.0.0.1:{blocking.port}"}
    assert lagging.compliance_checks.filter(expected="blocked").count() == 3
