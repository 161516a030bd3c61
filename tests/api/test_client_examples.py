"""The README's client examples (examples/*.py) run, unchanged, against a live tracker: the ministry's script
takes a case from items to a recorded reply, the ISP's acknowledges its orders and verifies its blocklist."""

import subprocess
import sys
from pathlib import Path

import pytest

from blocking import signing
from blocking.models import OrderRecipient
from notices.models import Notice, PlatformReply
from tests.factories import PlatformContactFactory, PlatformFactory, PlatformHostFactory, api_token, make_user
from tests.factories_blocking import ISPFactory, isp_user, order_in_force
from tracker.items.models import FlaggedItem

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
pytestmark = pytest.mark.django_db(transaction=True)


def run(script: str, env: dict, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        env={"PATH": "/usr/bin:/bin", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def test_the_ministry_client_takes_a_case_from_items_to_a_reply(live_server, tmp_path):
    telegram = PlatformFactory(name="Telegram", slug="telegram")
    PlatformHostFactory(platform=telegram, host="t.me")
    PlatformContactFactory(platform=telegram, role="abuse", email="abuse@telegram.example")
    env = {
        "TRACKER_URL": live_server.url,
        "ANALYST_TOKEN": api_token(make_user("analyst")),
        "VERIFIER_TOKEN": api_token(make_user("analyst")),
        "LIAISON_TOKEN": api_token(make_user("liaison_officer")),
    }
    out = run("ministry_client.py", env, tmp_path)
    notice = Notice.objects.get()
    assert notice.reference in out and "Reply recorded (in time)" in out
    assert PlatformReply.objects.get(notice=notice).summary.startswith("Telegram removed")
    assert FlaggedItem.objects.filter(status=FlaggedItem.Status.REMOVED).count() == 1


def test_the_isp_client_acknowledges_its_orders_and_verifies_its_blocklist(live_server, tmp_path):
    isp = ISPFactory(name="Telkom")
    order = order_in_force(
        proposer=make_user("supervisor"), approver=make_user("supervisor"), isps=[isp], names="web.telegram.org"
    )
    (tmp_path / "ministry.pub").write_text(signing.public_key_pem())
    env = {"TRACKER_URL": live_server.url, "ISP_TOKEN": api_token(isp_user(isp)), "MINISTRY_KEY": "ministry.pub"}
    out = run("isp_client.py", env, tmp_path)
    assert f"Acknowledged {order.reference}" in out and '"verified": true' in out
    assert OrderRecipient.objects.get(order=order, isp=isp).acknowledged_at is not None
    assert "web.telegram.org" in (tmp_path / "blocklist.rpz").read_text()
