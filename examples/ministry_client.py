#!/usr/bin/env python3
"""A ministry script driving one case through the tracker's API alone: an analyst logs two channels, a second
analyst verifies them, the analyst opens a case, a liaison officer sends the first notice and records the
platform's reply. Needs Python 3 and `requests`.

    TRACKER_URL=https://tracker.ministry.example \\
    ANALYST_TOKEN=… VERIFIER_TOKEN=… LIAISON_TOKEN=… python3 ministry_client.py
"""

import os
import sys
from datetime import UTC, datetime

import requests

URL = os.environ["TRACKER_URL"].rstrip("/") + "/api/v1"


def api(token_variable: str):
    session = requests.Session()
    session.headers["Authorization"] = f"Token {os.environ[token_variable]}"
    return session


def call(session, method: str, path: str, **body):
    answer = session.request(method, f"{URL}{path}", json=body or None, timeout=30)
    if answer.status_code >= 400:  # every error has one shape: {"error": {"message", "fields", …}}
        error = answer.json()["error"]
        sys.exit(f"{method} {path}: {answer.status_code} {error['message']} {error['fields']}")
    return answer.json()


analyst, verifier, liaison = api("ANALYST_TOKEN"), api("VERIFIER_TOKEN"), api("LIAISON_TOKEN")

items = [
    call(analyst, "POST", "/items/", url=url, category="terrorism", source="patrol")
    for url in ("https://t.me/example_channel_one", "https://t.me/example_channel_two")
]
for item in items:
    call(verifier, "POST", f"/items/{item['id']}/verify/")  # four eyes: not the analyst who logged it
case = call(
    analyst,
    "POST",
    "/cases/",
    title="Terror channels on Telegram",
    platform="telegram",
    items=[item["id"] for item in items],
)
notice = call(liaison, "POST", "/notices/", case=case["id"])  # 201 sent, or 202 queued while mail is down
print(f"Notice {notice['reference']} sent, reply due {notice['deadline_at']}")
reply = call(
    liaison,
    "POST",
    f"/notices/{notice['id']}/replies/",
    received_at=datetime.now(UTC).isoformat(),
    channel="email",
    summary="Telegram removed the first channel and refused the second.",
    outcomes=[
        {"item": items[0]["id"], "outcome": "removed"},
        {"item": items[1]["id"], "outcome": "refused", "reason": "news reporting"},
    ],
)
print(f"Reply recorded ({'late' if reply.get('late') else 'in time'}); case {case['id']}")
