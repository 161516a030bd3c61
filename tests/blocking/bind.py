"""Real BIND servers on loopback for the zone-transfer tests: the tracker's primary, and ISP resolvers.

The primary runs the configuration the tracker writes (blocking/zone_transfer.py); a resolver runs the
README's example (examples/bind-response-policy.conf) with the addresses, ports, paths and key put in.
Nothing leaves the machine: the resolver answers the names of the tests from a zone of its own.
"""

import os
import socket
import subprocess
import time
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
import pytest

from blocking import zone_transfer
from tests.blocking.test_real_resolver import local_auth_zones
from tests.services import require_program

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = ROOT / "examples"
TEST_ZONE = """$ORIGIN test.
@ 300 IN SOA ns.test. host.test. 1 3600 600 86400 300
@ 300 IN NS ns.test.
ns 300 IN A 127.0.0.1
blocked 300 IN A 192.0.2.10
tree 300 IN A 192.0.2.11
www.tree 300 IN A 192.0.2.12
open 300 IN A 192.0.2.20
other 300 IN A 192.0.2.30
"""


def free_port() -> int:
    """A port free for both UDP and TCP on loopback (DNS listens on both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port


def ask(name: str, port: int, rdtype: str = "A"):
    return dns.query.udp(dns.message.make_query(name, rdtype), "127.0.0.1", port=port, timeout=2)


def _start(command: list[str], log: Path, ready, what: str) -> subprocess.Popen:
    env = {**os.environ, "TZ": "UTC"}
    process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if ready():
                return process
        except (dns.exception.DNSException, OSError):
            pass
        time.sleep(0.1)
    process.kill()
    process.wait()
    pytest.fail(f"{what} did not start: {log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)  # a server holding millions of names takes a while to free them
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Primary:
    """named running the tracker's own configuration, written by `zone_transfer.write_config()`."""

    def __init__(self, settings, directory: Path):
        self.named = require_program("named", "bind9")
        require_program("rndc", "bind9-utils")
        self.directory = directory
        settings.BLOCKING_BIND_DIR = str(directory)
        settings.BLOCKING_BIND_ADDRESS = "127.0.0.1"
        settings.BLOCKING_BIND_PORT = self.port = free_port()
        settings.BLOCKING_BIND_RNDC_PORT = free_port()

    def __enter__(self):
        zone_transfer.write_config()
        checkconf = require_program("named-checkconf", "bind9-utils")
        subprocess.run([checkconf, str(self.directory / "named.conf")], check=True, capture_output=True)
        self.process = _start(
            zone_transfer.named_command(),
            self.directory / "named.out",
            zone_transfer.server_is_up,
            "the BIND primary",
        )
        return self

    def __exit__(self, *exc):
        _stop(self.process)

    def log(self) -> str:
        paths = (self.directory / "named.out", self.directory / "named.log", zone_transfer.transfer_log())
        return "".join(path.read_text() for path in paths if path.exists())


class Authority:
    """An authoritative server for "test." (the names the tests ask about): a resolver applies its response
    policy to answers it recurses for, not to zones of its own."""

    def __init__(self, directory: Path):
        self.named = require_program("named", "bind9")
        self.directory, self.port = directory, free_port()
        directory.mkdir()
        (directory / "test.zone").write_text(TEST_ZONE)
        (directory / "named.conf").write_text(
            f"""options {{
  directory "{directory}";
  pid-file "{directory / "named.pid"}";
  session-keyfile "{directory / "session.key"}";
  managed-keys-directory "{directory}";
  listen-on port {self.port} {{ 127.0.0.1; }};
  listen-on-v6 {{ none; }};
  recursion no;
  notify no;
}};
zone "test" {{ type primary; file "{directory / "test.zone"}"; }};
"""
        )

    def __enter__(self):
        self.process = _start(
            [self.named, "-g", "-c", str(self.directory / "named.conf")],
            self.directory / "named.out",
            lambda: ask("open.test.", self.port).rcode() == dns.rcode.NOERROR,
            "the authority for test.",
        )
        return self

    def __exit__(self, *exc):
        _stop(self.process)


class Resolver:
    """An ISP's BIND resolver: examples/bind-response-policy.conf, pointed at the primary on loopback."""

    def __init__(self, directory: Path, *, isp_id: int, key_name: str, secret: str, primary_port: int):
        self.named = require_program("named", "bind9")
        self.directory, self.port = directory, free_port()
        self.zone = zone_transfer.zone_name(isp_id)
        directory.mkdir()
        self.authority = Authority(directory / "authority")
        config = (EXAMPLES / "bind-response-policy.conf").read_text()
        for example, real in (
            ("isp-7-0a1b2c3d", key_name),
            ("PASTE-THE-SECRET-SHOWN-ONCE-HERE=", secret),
            ("isp-7.rpz.blocklist.invalid", self.zone),
            ("192.0.2.53 port 53", f"127.0.0.1 port {primary_port}"),
            ('"/var/cache/bind"', f'"{directory}"'),
            ("listen-on port 53 { any; };", f"listen-on port {self.port} {{ 127.0.0.1; }};"),
            ("dnssec-validation auto;", "dnssec-validation no;"),
        ):
            assert example in config, example
            config = config.replace(example, real)
        # The names the tests ask about come from the authority on loopback: nothing is fetched outside.
        config += f"""
controls {{ }};
zone "test" {{ type forward; forward only; forwarders {{ 127.0.0.1 port {self.authority.port}; }}; }};
"""
        config = config.replace(
            "recursion yes;",
            f'recursion yes;\n  pid-file "{directory / "named.pid"}";\n'
            f'  session-keyfile "{directory / "session.key"}";\n  managed-keys-directory "{directory}";\n'
            "  notify no;\n  max-refresh-time 2;\n  min-refresh-time 1;\n"
            "  max-retry-time 2;\n  min-retry-time 1;",
        )
        (directory / "named.conf").write_text(config)

    def __enter__(self):
        checkconf = require_program("named-checkconf", "bind9-utils")
        done = subprocess.run([checkconf, str(self.directory / "named.conf")], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        self.authority.__enter__()
        self.process = _start(
            [self.named, "-g", "-c", str(self.directory / "named.conf")],
            self.directory / "named.out",
            lambda: ask("open.test.", self.port).rcode() == dns.rcode.NOERROR,
            "the ISP's BIND resolver",
        )
        return self

    def __exit__(self, *exc):
        _stop(self.process)
        self.authority.__exit__(*exc)

    def serial(self) -> int | None:
        """The serial of the RPZ zone the resolver holds (it answers localhost)."""
        answer = ask(f"{self.zone}.", self.port, "SOA")
        if answer.rcode() != dns.rcode.NOERROR or not answer.answer:
            return None
        return answer.answer[0][0].serial

    def register_for(self, isp, *, serial: int = 0, seconds: float = 15) -> float:
        """Register this resolver as `isp`'s transfer address (the primary NOTIFYs it), push the zones and wait
        until it holds `serial`: seconds taken."""
        isp.transfer_addresses = f"127.0.0.1#{self.port}"
        isp.save(update_fields=["transfer_addresses"])
        zone_transfer.push_zones()
        return self.wait_for_serial(serial, seconds=seconds)

    def wait_for_serial(self, serial: int, seconds: float = 15) -> float:
        """Seconds until the resolver holds `serial`; fails the test after `seconds`."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            try:
                if (self.serial() or 0) >= serial:
                    return time.monotonic() - started
            except dns.exception.DNSException:
                pass
            time.sleep(0.05)
        pytest.fail(f"the resolver is at serial {self.serial()}, not {serial}: {self.log()[-3000:]}")

    def log(self) -> str:
        return (self.directory / "named.out").read_text()


ROOT_ZONE = """$ORIGIN .
@ 3600 IN SOA a.root.test. host.test. 1 3600 600 86400 300
@ 3600 IN NS a.root.test.
"""


class UnboundResolver:
    """An ISP's Unbound: examples/unbound-rpz.conf, pointed at the primary on loopback. It answers the names of
    the tests from local authoritative zones (a stub root and "test."), as tests/blocking/test_real_resolver.py."""

    def __init__(self, directory: Path, *, isp_id: int, primary_port: int):
        self.binary = require_program("unbound", "unbound")
        self.directory, self.port = directory, free_port()
        self.zone = zone_transfer.zone_name(isp_id)
        directory.mkdir()
        (directory / "root.zone").write_text(ROOT_ZONE)
        (directory / "test.zone").write_text(TEST_ZONE)
        config = (EXAMPLES / "unbound-rpz.conf").read_text()
        for example, real in (
            ("isp-7.rpz.blocklist.invalid", self.zone),
            ("192.0.2.53@53", f"127.0.0.1@{primary_port}"),
            ("allow-notify: 192.0.2.53", "allow-notify: 127.0.0.1"),
            ('"/var/lib/unbound/', f'"{directory}/'),
            ("interface: 0.0.0.0\n  port: 53\n", f"interface: 127.0.0.1\n  port: {self.port}\n"),
        ):
            assert example in config, example
            config = config.replace(example, real)
        config = config.replace(
            "server:\n",
            f"""server:
  outgoing-interface: 127.0.0.1
  do-ip6: no
  username: ""
  chroot: ""
  directory: "{directory}"
  pidfile: "{directory / "unbound.pid"}"
  use-syslog: no
  logfile: ""
  verbosity: 1
  do-not-query-localhost: no
  local-zone: "test." nodefault
""",
            1,
        )
        config += "\n" + local_auth_zones(directory)
        (directory / "unbound.conf").write_text(config)

    def __enter__(self):
        checkconf = require_program("unbound-checkconf", "unbound")
        done = subprocess.run([checkconf, str(self.directory / "unbound.conf")], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        self.process = _start(
            [self.binary, "-d", "-c", str(self.directory / "unbound.conf")],
            self.directory / "unbound.out",
            lambda: ask("open.test.", self.port).rcode() == dns.rcode.NOERROR,
            "the ISP's Unbound",
        )
        return self

    def __exit__(self, *exc):
        _stop(self.process)

    def wait_for(self, name: str, rcode, seconds: float = 15) -> float:
        """Seconds until `name` answers `rcode`; fails the test after `seconds`."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            try:
                if ask(name, self.port).rcode() == rcode:
                    return time.monotonic() - started
            except dns.exception.DNSException:
                pass
            time.sleep(0.1)
        pytest.fail(f"{name} does not answer {dns.rcode.to_text(rcode)}: {self.log()[-3000:]}")

    def log(self) -> str:
        return (self.directory / "unbound.out").read_text()
