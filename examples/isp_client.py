#!/usr/bin/env python3
"""An ISP's script: fetch the block orders addressed to it, acknowledge the new ones, download its own blocklist
with the signature and check it against the ministry's published key before loading it into the resolver.
Needs Python 3, `requests` and `cryptography`.

    TRACKER_URL=https://tracker.ministry.example ISP_TOKEN=… MINISTRY_KEY=ministry.pub python3 isp_client.py
"""

import base64
import hashlib
import json
import os
import sys

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import load_pem_public_key

URL = os.environ["TRACKER_URL"].rstrip("/") + "/api/v1"
session = requests.Session()
session.headers["Authorization"] = f"Token {os.environ['ISP_TOKEN']}"

# 1. Orders addressed to us; acknowledge those we have not acknowledged yet.
page = f"{URL}/block-orders/"
while page:
    answer = session.get(page, timeout=30).json()
    for order in answer["results"]:
        ours = order["recipients"][0]  # an ISP sees only its own row: its deadlines and its reports
        if not ours["acknowledged_at"]:
            session.post(f"{URL}/block-orders/{order['id']}/acknowledge/", timeout=30).raise_for_status()
            print(f"Acknowledged {order['reference']}: {', '.join(order['names'])}")
    page = answer["next"]

# 2. Our blocklist (RPZ) and its signature; verify before use.
export = session.get(f"{URL}/blocklist/export/rpz/", timeout=300)
export.raise_for_status()
record = session.get(f"{URL}/blocklist/export/rpz/signature/", timeout=30).json()
if len(export.content) != record["size"] or hashlib.sha256(export.content).hexdigest() != record["sha256"]:
    sys.exit("The blocklist does not match its signature record.")
message = (
    f"tracker-blocklist-signature-v1\n{record['format']}\n{record['serial']}\n{record['size']}\n{record['sha256']}\n"
)
with open(os.environ["MINISTRY_KEY"], "rb") as key_file:
    public_key = load_pem_public_key(key_file.read())
try:
    public_key.verify(base64.b64decode(record["signature"]), message.encode())
except InvalidSignature:
    sys.exit("The blocklist's signature is not the ministry's. Do not load it.")
with open("blocklist.rpz", "wb") as out:
    out.write(export.content)
print(json.dumps({"verified": True, "format": record["format"], "version": record["serial"]}))
