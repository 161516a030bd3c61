"""The blocklist by zone transfer: a BIND primary serving each ISP its own RPZ zone, kept at the current version.

One zone per active ISP, `isp-<id>.<BLOCKING_RPZ_ZONE>`, holding the names in force for that ISP (the same records
as its RPZ export) with SOA serial = the blocklist version. The tracker writes BIND's whole configuration under
BLOCKING_BIND_DIR (named.conf, keys 0600, zone files) and brings each zone to the current version:

1. a change of a few names is a signed DNS UPDATE carrying the new SOA serial, so BIND journals it and an ISP's
   resolver fetches only the change (IXFR);
2. a new zone, or a change too big for one message, is a zone file written whole and reloaded (rndc freeze and
   thaw); with `ixfr-from-differences` BIND still journals the difference, so resolvers still get an IXFR.

BIND sends NOTIFY to each ISP's registered transfer addresses. A resolver transfers with the ISP's TSIG key
(`ZoneTransferKey`, shown once, rotatable) or from one of those addresses (resolvers without TSIG for
transfers, such as Unbound). What each ISP's resolvers transferred, and how long after the version was made,
is read from BIND's transfer log into `ZoneTransfer` rows.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.core import audit, queueing
from tracker.core.errors import require_permission
from tracker.core.models import AuditEntry

from . import exports
from .models import ISP, BlocklistVersion, ZoneTransfer, ZoneTransferKey

logger = logging.getLogger(__name__)

UPDATE_KEY = "tracker-update"
RNDC_KEY = "tracker-rndc"
SOA = "localhost. hostmaster.localhost. {serial} 3600 600 604800 300"
TTL = 300
MAX_MESSAGE = 65000  # a DNS message over TCP holds at most 65535 bytes


class ZoneTransferError(Exception):
    """The DNS server refused or did not answer: the next push (the beat task) tries again."""


# --- where things are ------------------------------------------------------------------------------------------


def bind_dir() -> Path:
    if not settings.BLOCKING_BIND_DIR:  # never the current directory
        raise ZoneTransferError("BLOCKING_BIND_DIR is empty: zone transfer is off")
    return Path(settings.BLOCKING_BIND_DIR)


def zone_name(isp: ISP | int) -> str:
    return f"isp-{getattr(isp, 'pk', isp)}.{exports.rpz_zone()}"


def zone_file(isp: ISP | int) -> Path:
    return bind_dir() / "zones" / f"{zone_name(isp)}.zone"


def transfer_log() -> Path:
    return bind_dir() / "xfer.log"


def named_program() -> str | None:
    return shutil.which("named") or ("/usr/sbin/named" if Path("/usr/sbin/named").exists() else None)


def rndc_program() -> str | None:
    return shutil.which("rndc") or ("/usr/sbin/rndc" if Path("/usr/sbin/rndc").exists() else None)


def enabled() -> bool:
    """Zone transfer is on where BIND is installed, unless BLOCKING_BIND_DIR is set empty."""
    return bool(settings.BLOCKING_BIND_DIR) and named_program() is not None


def named_command() -> list[str]:
    """How to run the primary in the foreground (make run, the tests, the systemd unit)."""
    return [named_program() or "named", "-f", "-c", str(bind_dir() / "named.conf")]


# --- keys ------------------------------------------------------------------------------------------------------


def new_secret() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def active_key(isp: ISP) -> ZoneTransferKey | None:
    return ZoneTransferKey.objects.filter(isp=isp, revoked_at__isnull=True).first()


def rotate_key(*, isp: ISP, actor, now: datetime | None = None) -> ZoneTransferKey:
    """A new TSIG key for the ISP (the old one, if any, revoked): the caller shows its secret once.

    The DNS server's configuration is rewritten after commit, so the new key works within seconds.
    """
    require_permission(actor, "blocking.add_zonetransferkey")
    now = now or timezone.now()
    with transaction.atomic():
        ISP.objects.select_for_update().get(pk=isp.pk)  # two rotations at once: one waits for the other
        ZoneTransferKey.objects.filter(isp=isp, revoked_at__isnull=True).update(revoked_at=now)
        key = ZoneTransferKey.objects.create(
            isp=isp, name=f"isp-{isp.pk}-{secrets.token_hex(4)}", secret=new_secret(), created_at=now, created_by=actor
        )
        reason = _("Zone transfer key for %(isp)s; any earlier key revoked") % {"isp": isp.name}
        audit.record(obj=key, action=AuditEntry.Action.CREATE, actor=actor, at=now, reason=reason)
        push_after_commit()
    return key


# --- configuration -----------------------------------------------------------------------------------------------


def write_config() -> bool:
    """Write named.conf, the keys and rndc.conf; a zone without a file gets one. True when anything changed."""
    directory = bind_dir()
    (directory / "zones").mkdir(parents=True, exist_ok=True)
    changed = False
    for path, text in (
        (directory / "tracker-keys.conf", _control_keys()),
        (directory / "isp-keys.conf", _isp_keys()),
        (directory / "rndc.conf", _rndc_conf()),
        (directory / "named.conf", _named_conf()),
    ):
        changed |= _write_if_changed(path, text, mode=0o600 if path.name != "named.conf" else 0o644)
    for isp in ISP.objects.filter(is_active=True):
        if not zone_file(isp).exists():
            write_zone_file(isp)
            changed = True
    return changed


def _secret_file(name: str) -> str:
    """A secret of the tracker's own (update and rndc keys), made once and kept in the BIND directory."""
    path = bind_dir() / f"{name}.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(new_secret())
    return path.read_text().strip()


def update_keyring() -> dict:
    return dns.tsigkeyring.from_text({UPDATE_KEY: (dns.tsig.HMAC_SHA256, _secret_file(UPDATE_KEY))})


def _key_clause(name: str, secret: str) -> str:
    return f'key "{name}" {{\n  algorithm hmac-sha256;\n  secret "{secret}";\n}};\n'


def _control_keys() -> str:
    return _key_clause(UPDATE_KEY, _secret_file(UPDATE_KEY)) + _key_clause(RNDC_KEY, _secret_file(RNDC_KEY))


def _isp_keys() -> str:
    keys = ZoneTransferKey.objects.filter(revoked_at__isnull=True, isp__is_active=True).order_by("isp_id")
    return "".join(_key_clause(key.name, key.secret) for key in keys) or "# no ISP keys yet\n"


def _rndc_conf() -> str:
    return (
        _key_clause(RNDC_KEY, _secret_file(RNDC_KEY))
        + f'options {{\n  default-key "{RNDC_KEY}";\n  default-server 127.0.0.1;\n'
        + f"  default-port {settings.BLOCKING_BIND_RNDC_PORT};\n}};\n"
    )


def _named_conf() -> str:
    directory, address = bind_dir(), settings.BLOCKING_BIND_ADDRESS
    listen = f"listen-on port {settings.BLOCKING_BIND_PORT} {{ {address}; }};\n  listen-on-v6 {{ none; }};"
    if ":" in address:
        listen = f"listen-on {{ none; }};\n  listen-on-v6 port {settings.BLOCKING_BIND_PORT} {{ {address}; }};"
    zones = []
    keys = {key.isp_id: key.name for key in ZoneTransferKey.objects.filter(revoked_at__isnull=True)}
    for isp in ISP.objects.filter(is_active=True).order_by("pk"):
        peers = isp.transfer_peers()
        allowed = [f"key {keys[isp.pk]};"] if isp.pk in keys else []
        allowed += [f"{peer};" for peer in dict.fromkeys(peer_address for peer_address, _port in peers)]
        notify = " ".join(f"{peer} port {port};" for peer, port in peers)
        zones.append(
            f'# {_config_text(isp.name)}\nzone "{zone_name(isp)}" {{\n  type primary;\n'
            f'  file "{zone_file(isp)}";\n'
            f"  allow-update {{ key {UPDATE_KEY}; }};\n"
            f"  allow-transfer {{ key {UPDATE_KEY}; {' '.join(allowed)} }};\n"
            f"  allow-query {{ key {UPDATE_KEY}; {' '.join(allowed)} }};\n"
            f"  also-notify {{ {notify} }};\n}};\n"
        )
    return f"""# Written by the tracker (blocking/zone_transfer.py): edits are overwritten.
include "{directory / "tracker-keys.conf"}";
include "{directory / "isp-keys.conf"}";

controls {{
  inet 127.0.0.1 port {settings.BLOCKING_BIND_RNDC_PORT} allow {{ 127.0.0.1; }} keys {{ "{RNDC_KEY}"; }};
}};

options {{
  directory "{directory}";
  pid-file "{directory / "named.pid"}";
  session-keyfile "{directory / "session.key"}";
  managed-keys-directory "{directory}";
  {listen}
  notify-source {address if ":" not in address else "*"};
  recursion no;
  dnssec-validation no;
  notify explicit;
  ixfr-from-differences yes;
  max-ixfr-ratio unlimited;  // a change of many names is still cheaper as IXFR than the whole list again
  allow-query {{ none; }};
  allow-transfer {{ none; }};
  allow-recursion {{ none; }};
  max-journal-size 512m;
  version none;
}};

logging {{
  channel transfers {{ file "{transfer_log()}" versions 5 size 100m; print-time iso8601-utc; severity info; }};
  channel everything {{ file "{directory / "named.log"}" versions 3 size 20m; print-time iso8601-utc; severity info; }};
  category xfer-out {{ transfers; }};
  category default {{ everything; }};
}};

{"".join(zones)}"""


def _config_text(text: str) -> str:
    return re.sub(r"[^\w .,()-]", "", text)[:100]


def _write_if_changed(path: Path, text: str, mode: int) -> bool:
    if path.exists() and path.read_text() == text:
        return False
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.chmod(temporary, mode)
    temporary.replace(path)
    return True


def rndc(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    command = [rndc_program() or "rndc", "-c", str(bind_dir() / "rndc.conf"), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=settings.BLOCKING_BIND_TIMEOUT * 6)
    if check and done.returncode != 0:
        raise ZoneTransferError(f"rndc {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done


# --- zone contents -----------------------------------------------------------------------------------------------


def write_zone_file(isp: ISP) -> int:
    """Write the ISP's whole zone at the current version (to a temporary file, then moved); its serial."""
    path = zone_file(isp)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with transaction.atomic():
        exports.hold_blocklist()
        serial = exports.current_serial()
        with temporary.open("w") as handle:
            handle.write(
                f"; the blocklist for ISP {isp.pk}, version {serial}\n$TTL {TTL}\n$ORIGIN {zone_name(isp)}.\n"
                f"@ IN SOA {SOA.format(serial=serial)}\n@ IN NS localhost.\n"
            )
            buffer = []
            for line in exports.rpz_records(isp):
                buffer.append(line if isinstance(line, str) else bytes(line).decode())
                if len(buffer) >= 10000:
                    handle.write("".join(buffer))
                    buffer.clear()
            handle.write("".join(buffer))
    temporary.replace(path)
    return serial


def served_serial(isp: ISP) -> int | None:
    """The serial the DNS server serves for the ISP's zone now; None if it does not serve it (yet)."""
    query = dns.message.make_query(f"{zone_name(isp)}.", dns.rdatatype.SOA)
    query.use_tsig(update_keyring(), keyname=UPDATE_KEY)
    answer = _send(query)  # no answer at all is an error: a zone file is never rewritten under a live zone
    if answer.rcode() != dns.rcode.NOERROR or not answer.answer:
        return None
    return answer.answer[0][0].serial


def _send(message) -> dns.message.Message:
    try:
        return dns.query.tcp(
            message,
            settings.BLOCKING_BIND_ADDRESS,
            port=settings.BLOCKING_BIND_PORT,
            timeout=settings.BLOCKING_BIND_TIMEOUT,
        )
    except (dns.exception.DNSException, OSError) as exc:
        raise ZoneTransferError(f"{type(exc).__name__}: {exc}") from exc


@dataclass
class Pushed:
    isp_id: int
    served: int | None
    serial: int
    how: str  # "update", "reload", "new" or "current"
    names: int = 0


def push_zones(isp_ids: list[int] | None = None) -> list[Pushed]:
    """Bring every active ISP's zone (or those given) to the current version. Safe to run twice: a zone already
    at the current serial is left alone."""
    changed = write_config()
    if not server_is_up():  # it loads the files written when it starts; the beat task pushes again
        raise ZoneTransferError("the DNS server does not answer on its control channel")
    if changed:
        rndc("reconfig")
    isps = ISP.objects.filter(is_active=True).order_by("pk")
    if isp_ids is not None:
        isps = isps.filter(pk__in=isp_ids)
    return [push_zone(isp) for isp in isps]


def server_is_up() -> bool:
    """Is the DNS server up (answering its control channel)?"""
    return rndc("status", check=False).returncode == 0


def push_zone(isp: ISP) -> Pushed:
    served = served_serial(isp)
    if served is None:  # a zone the server does not serve yet: its file, then reconfig loads it
        serial = write_zone_file(isp)
        rndc("reconfig", check=False)
        return Pushed(isp.pk, None, serial, "new")
    with transaction.atomic():
        exports.hold_blocklist()
        serial = exports.current_serial()
        if served == serial:
            return Pushed(isp.pk, served, serial, "current")
        update = _update(isp, served, serial) if served < serial else None
    if update is None:
        return _reload(isp, served)
    message, count = update
    answer = _send(message)
    if answer.rcode() == dns.rcode.NXRRSET:  # another push moved the zone first
        return Pushed(isp.pk, served, serial, "current")
    if answer.rcode() != dns.rcode.NOERROR:
        raise ZoneTransferError(f"update of {zone_name(isp)} refused: {dns.rcode.to_text(answer.rcode())}")
    return Pushed(isp.pk, served, serial, "update", count)


def _update(isp: ISP, served: int, serial: int) -> tuple[dns.update.UpdateMessage, int] | None:
    """The UPDATE taking the zone from `served` to `serial`; None when it would not fit in one message.

    A name's records: `name` while the ISP's list holds it exactly or as a subtree, `*.name` while as a subtree.
    Only records that appear or go are written, so a 1,000-name change fits one message.
    """
    diff: dict[str, dict[bool, str]] = {}
    for sign, name, subtree in exports.isp_diff_rows(isp, served, serial):
        diff.setdefault(name, {})[subtree] = sign
    if len(diff) > settings.BLOCKING_BIND_UPDATE_MAX_NAMES:
        return None
    changed = sorted(diff)
    held: dict[str, set[bool]] = {name: set() for name in changed}
    for start in range(0, len(changed), 5000):
        chunk = changed[start : start + 5000]
        for name, subtree in exports.isp_names(isp).filter(name__in=chunk).values_list("name", "subtree").distinct():
            held[name].add(subtree)
    origin = dns.name.from_text(zone_name(isp))
    update = dns.update.UpdateMessage(origin, keyring=update_keyring(), keyname=UPDATE_KEY)
    target = exports.block_page_target()
    # Applied only to the version it was computed from: a push running beside this one makes it fail, not repeat.
    update.present("@", "SOA", SOA.format(serial=served))
    update.replace("@", TTL, "SOA", SOA.format(serial=serial))
    for name in changed:
        after = held[name]
        before = {flag for flag in after if diff[name].get(flag) != "+"}
        before |= {flag for flag, sign in diff[name].items() if sign == "-"}
        for owner, was, now in ((name, bool(before), bool(after)), (f"*.{name}", True in before, True in after)):
            if was and not now:
                update.delete(owner, "CNAME")
            elif now and not was:
                update.add(owner, TTL, "CNAME", target)
    if len(update.to_wire()) > MAX_MESSAGE:
        return None
    return update, len(changed)


def _reload(isp: ISP, served: int) -> Pushed:
    """The whole zone file written and reloaded; BIND journals the difference (ixfr-from-differences)."""
    zone = zone_name(isp)
    rndc("freeze", zone)
    try:
        journal = Path(f"{zone_file(isp)}.jnl")
        serial = write_zone_file(isp)
        if serial < served:  # a restored database: resolvers must start again from a full transfer
            journal.unlink(missing_ok=True)
    finally:
        rndc("thaw", zone)
    return Pushed(isp.pk, served, serial, "reload")


def push_after_commit() -> None:
    """Where zone transfer is on: push the zones once the caller's transaction commits."""
    if enabled():
        transaction.on_commit(queue_push)


def queue_push() -> None:
    """After a version commits (or a key or an ISP changes): push the zones, or leave it to the beat task."""
    from .tasks import push_zones_task

    if not enabled():
        return
    queueing.queue(push_zones_task.delay, what="pushing the RPZ zones")


# --- what the ISPs' resolvers transferred -----------------------------------------------------------------------

TRANSFER = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) .*?client @\S+ (?P<client>[0-9a-fA-F.:]+)#\d+"
    r"(?:/key (?P<key>\S+))? \((?P<zone>[^)]+)\): transfer of '(?P=zone)/IN': (?P<kind>AXFR|IXFR)"
    r"(?:-style IXFR)? ended\b.*?\(serial (?P<serial>\d+)\)"
)


def record_transfers() -> int:
    """Read the transfer log from where the last reading stopped; record each finished transfer. The number."""
    path, position_file = transfer_log(), bind_dir() / "xfer.log.position"
    if not path.exists():
        return 0
    inode, offset = 0, 0
    if position_file.exists():
        inode, offset = (int(part) for part in position_file.read_text().split())
    stat = path.stat()
    if stat.st_ino != inode or stat.st_size < offset:  # rotated: the new file from its start
        offset = 0
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    complete = data.rfind(b"\n") + 1  # a line still being written is read next time
    found = [match for line in data[:complete].decode(errors="replace").splitlines() if (match := TRANSFER.match(line))]
    recorded = _record(found)
    _write_if_changed(position_file, f"{stat.st_ino} {offset + complete}\n", mode=0o644)
    return recorded


def _record(matches) -> int:
    zones = {zone_name(pk): pk for pk in ISP.objects.values_list("pk", flat=True)}
    rows = []
    serials = {int(match["serial"]) for match in matches}
    made = dict(BlocklistVersion.objects.filter(serial__in=serials).values_list("serial", "created_at"))
    for match in matches:
        isp_id = zones.get(match["zone"].rstrip("."))
        if isp_id is None:
            continue
        at = datetime.fromisoformat(match["at"].replace("Z", "+00:00")).astimezone(UTC)
        serial = int(match["serial"])
        lag = max(at - made[serial], timedelta(0)) if serial in made else None
        kind = match["kind"]  # "AXFR-style IXFR": a full transfer asked for as IXFR
        rows.append(
            ZoneTransfer(
                isp_id=isp_id,
                serial=serial,
                kind=kind,
                client=match["client"],
                key_name=match["key"] or "",
                transferred_at=at,
                lag=lag,
            )
        )
    ZoneTransfer.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# --- what the pages and the API show -------------------------------------------------------------------------------


@dataclass
class ISPZoneState:
    isp: ISP
    transfer: ZoneTransfer | None
    current_serial: int

    @property
    def current(self) -> bool:
        return self.transfer is not None and self.transfer.serial >= self.current_serial

    @property
    def summary(self) -> str:
        if self.transfer is None:
            return _("%(isp)s's resolvers have not transferred the zone yet.") % {"isp": self.isp.name}
        values = {"isp": self.isp.name, "serial": self.transfer.serial, "lag": human_duration(self.transfer.lag)}
        if self.current:
            if self.transfer.lag is None:
                return _("%(isp)s's resolvers are at the current serial %(serial)s.") % values
            return _("%(isp)s's resolvers are at the current serial %(serial)s, transferred %(lag)s after issue.") % (
                values
            )
        values["current"] = self.current_serial
        return _("%(isp)s's resolvers are behind: at serial %(serial)s, the current one is %(current)s.") % values


def zone_states(isps) -> list[ISPZoneState]:
    """Per ISP, its resolvers' latest transfer beside the current serial (one query for the transfers)."""
    isps = list(isps)
    latest = {}
    transfers = ZoneTransfer.objects.filter(isp__in=isps).order_by("isp_id", "-transferred_at", "-id")
    for transfer in transfers.distinct("isp_id") if _postgresql() else transfers:
        latest.setdefault(transfer.isp_id, transfer)
    serial = exports.current_serial()
    return [ISPZoneState(isp, latest.get(isp.pk), serial) for isp in isps]


def _postgresql() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def human_duration(duration: timedelta | None) -> str:
    if duration is None:
        return ""
    seconds = max(0, round(duration.total_seconds()))
    if seconds < 120:
        return _("%(seconds)d s") % {"seconds": seconds}
    minutes = seconds // 60
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("%(hours)d h %(minutes)02d min") % {"hours": minutes // 60, "minutes": minutes % 60}


def with_lag_text(transfers) -> list[ZoneTransfer]:
    transfers = list(transfers)
    for transfer in transfers:
        transfer.lag_text = human_duration(transfer.lag) or "—"
    return transfers


@dataclass
class OrderZoneState:
    """Whether an ISP's resolvers hold an order: the first transfer of a serial at or after the order's."""

    isp: ISP
    order_serial: int
    made_at: datetime  # when the order's version was made
    reached: ZoneTransfer | None  # the first transfer with the order in it
    latest: ZoneTransfer | None

    @property
    def lag(self) -> timedelta | None:
        return max(self.reached.transferred_at - self.made_at, timedelta(0)) if self.reached else None

    @property
    def lag_text(self) -> str:
        return human_duration(self.lag)

    @property
    def summary(self) -> str:
        values = {"isp": self.isp.name, "order_serial": self.order_serial}
        if self.reached is not None:
            values.update(serial=self.reached.serial, lag=human_duration(self.lag))
            return _("%(isp)s's resolvers have this order: serial %(serial)s, transferred %(lag)s after issue.") % (
                values
            )
        if self.latest is not None:
            values["serial"] = self.latest.serial
            return _(
                "%(isp)s's resolvers are behind: at serial %(serial)s, this order is in serial %(order_serial)s."
            ) % (values)
        return _("%(isp)s's resolvers have not transferred the zone yet.") % values


def order_zone_states(order, isps) -> list[OrderZoneState]:
    """Per ISP the order binds, whether its resolvers have transferred the version that put the order in force
    (for a lift, the version that took its names out). Two queries for the transfers, whatever the ISPs."""
    isps = list(isps)
    found = BlocklistVersion.objects.filter(order=order).order_by("serial").values_list("serial", "created_at").first()
    if found is None or not isps:
        return []
    version, made_at = found
    first, latest = {}, {}
    ahead = ZoneTransfer.objects.filter(isp__in=isps, serial__gte=version).order_by("isp_id", "transferred_at", "id")
    behind = ZoneTransfer.objects.filter(isp__in=isps, serial__lt=version).order_by("isp_id", "-transferred_at", "-id")
    if _postgresql():
        ahead, behind = ahead.distinct("isp_id"), behind.distinct("isp_id")
    for transfer in ahead:
        first.setdefault(transfer.isp_id, transfer)
    for transfer in behind:
        latest.setdefault(transfer.isp_id, transfer)
    return [OrderZoneState(isp, version, made_at, first.get(isp.pk), latest.get(isp.pk)) for isp in isps]
