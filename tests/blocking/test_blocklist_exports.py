"""Blocklist exports: formats, signatures an ISP can check offline, diffs, and a zone BIND accepts."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from blocking import exports, services, signing
from blocking.models import BlockOrder
from tests.factories_blocking import order_in_force
from tests.services import require_program
from tracker.core.dns_names import parse_names

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / ".." / "shared" / "data" / "blocklists"


@pytest.fixture
def second_supervisor(make_user):
    return make_user("supervisor")


@pytest.fixture
def in_force(supervisor, second_supervisor):
    return order_in_force(proposer=supervisor, approver=second_supervisor, names="web.telegram.org\n*.t.me")


def read(kind: str) -> str:
    return exports.get_export(kind).path.read_text()


def test_rpz_blocks_names_and_subtrees_with_the_version_as_soa_serial(in_force):
    rpz = read("rpz")
    assert "@ IN SOA localhost. hostmaster.localhost. 1 " in rpz
    lines = {line for line in rpz.splitlines() if "CNAME" in line}
    assert lines == {"web.telegram.org CNAME .", "t.me CNAME .", "*.t.me CNAME ."}


@override_settings(BLOCKING_BLOCK_PAGE_TARGET="blocked.kominfo.example")
def test_rpz_points_to_a_configured_block_page(in_force):
    assert "web.telegram.org CNAME blocked.kominfo.example." in read("rpz")


def test_list_hosts_csv_and_json_carry_every_name(in_force):
    assert sorted(read("txt").splitlines()[1:]) == ["*.t.me", "web.telegram.org"]
    assert sorted(read("hosts").splitlines()[1:]) == ["0.0.0.0 t.me", "0.0.0.0 web.telegram.org"]
    assert sorted(read("csv").splitlines()[1:]) == [
        f"t.me,yes,{in_force.reference}",
        f"web.telegram.org,no,{in_force.reference}",
    ]
    document = json.loads(read("json"))
    assert document["version"] == 1
    assert {"name": "t.me", "subtree": True, "order": in_force.reference} in document["names"]


def test_an_unchanged_file_verifies_offline_and_a_tampered_one_fails(in_force, tmp_path):
    export = exports.get_export("rpz")
    download = tmp_path / export.filename
    download.write_bytes(export.path.read_bytes())
    (tmp_path / f"{export.filename}.sig").write_bytes(export.signature_path.read_bytes())
    (tmp_path / "ministry.pub").write_text(signing.public_key_pem())
    script = ROOT / "blocking" / "verify_blocklist.py"
    # Standalone: run in isolated mode from another directory, so nothing of the project is importable.
    ok = subprocess.run(
        [sys.executable, "-I", str(script), str(download), "--public-key", str(tmp_path / "ministry.pub")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "version 1" in ok.stdout
    download.write_bytes(download.read_bytes().replace(b"web.telegram.org", b"web.telegram.orh"))
    bad = subprocess.run(
        [sys.executable, "-I", str(script), str(download), "--public-key", signing.public_key_base64()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert "does not match" in bad.stderr
    with pytest.raises(CommandError, match="does not match"):
        call_command("verify_blocklist", str(download))


def test_a_signature_record_relabelled_to_another_version_fails(in_force, tmp_path):
    export = exports.get_export("txt")
    record = json.loads(export.signature_path.read_text())
    record["serial"] = "99"
    forged = tmp_path / "forged.sig"
    forged.write_text(json.dumps(record))
    with pytest.raises(CommandError, match="bad signature"):
        call_command("verify_blocklist", str(export.path), signature=str(forged))


def test_diff_lists_names_added_and_removed_between_versions(supervisor, second_supervisor, in_force):
    order = BlockOrder.objects.get()
    services.change_blocklist(order=order, add=parse_names("new.example.com"))
    services.change_blocklist(order=order, remove=parse_names("web.telegram.org"))
    services.change_blocklist(order=order, add=parse_names("web.telegram.org\nflip.example.com"))
    services.change_blocklist(order=order, remove=parse_names("flip.example.com"))
    diff = exports.get_diff(1, 5)
    assert diff.path.read_text().splitlines()[1:] == ["+new.example.com"]
    assert exports.get_diff(0, 2).path.read_text().splitlines()[1:] == [
        "+new.example.com",
        "+*.t.me",
        "+web.telegram.org",
    ]
    assert exports.get_diff(2, 3).path.read_text().splitlines()[1:] == ["-web.telegram.org"]
    call_command("verify_blocklist", str(diff.path))


def test_a_diff_beyond_the_latest_version_is_refused(in_force):
    from tracker.core.errors import DomainError

    with pytest.raises(DomainError, match="<= 1"):
        exports.get_diff(0, 7)


def real_names(limit: int = 3000) -> list[str]:
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is absent: the real blocklist samples live in ../shared beside the repository")
    lines = (SHARED / "trustpositif-domains_isp-2024-08-18-first300k.txt").read_text().splitlines()
    odd = [line for line in lines if "_" in line or "-." in line or ".-" in line or line.startswith("-")]
    return odd + lines[:limit]


def test_bind_accepts_the_rpz_with_real_names_holding_underscores_and_hyphens(supervisor, second_supervisor, tmp_path):
    checkzone = require_program("named-checkzone", "bind9-utils")
    names = real_names()
    assert any("_" in name for name in names) and any("-." in name for name in names)
    order_in_force(proposer=supervisor, approver=second_supervisor, names="\n".join([*names, "*.t.me"]))
    for target in ("", "blocked.kominfo.example"):
        with override_settings(BLOCKING_BLOCK_PAGE_TARGET=target):
            export = exports.get_export("rpz")
            check = subprocess.run(
                [checkzone, "-k", "fail", exports.rpz_zone(), str(export.path)],
                capture_output=True,
                text=True,
                check=False,
            )
            assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
            assert "loaded serial 1" in check.stdout


def test_an_older_export_is_removed_when_a_new_version_is_exported(in_force):
    old = exports.get_export("rpz")
    services.change_blocklist(order=in_force, add=parse_names("new.example.com"))
    new = exports.get_export("rpz")
    assert new.path.exists() and new.signature_path.exists()
    assert not old.path.exists() and not old.signature_path.exists()
    assert "new.example.com CNAME ." in new.path.read_text()
