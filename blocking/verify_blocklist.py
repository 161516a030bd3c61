#!/usr/bin/env python3
"""Verify a blocklist export downloaded from the takedown tracker, offline.

Needs only Python 3 and the `cryptography` package. Usage:

    python3 verify_blocklist.py blocklist-v12.rpz --signature blocklist-v12.rpz.sig --public-key ministry.pub

The signature file (JSON) names the export's format, version, size and SHA-256; the Ed25519 signature
covers those, so a changed byte, a swapped file or a relabelled version fails. The public key is the one
published by the ministry (PEM, or the base64 of its 32 raw bytes). Exit status 0 means verified.
"""

import argparse
import base64
import hashlib
import json
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

DOMAIN = "tracker-blocklist-signature-v1"


def signed_message(*, kind: str, serial: str, size: int, sha256: str) -> bytes:
    """The exact bytes the ministry signs for one export."""
    return f"{DOMAIN}\n{kind}\n{serial}\n{size}\n{sha256}\n".encode()


def load_public_key(text: str) -> Ed25519PublicKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))


def file_digest(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def verify(export: Path, signature: Path, public_key: Ed25519PublicKey) -> dict:
    """The signature record if the export verifies; ValueError saying why if it does not."""
    try:
        record = json.loads(signature.read_text())
        claimed = base64.b64decode(record["signature"], validate=True)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"unreadable signature file: {exc}") from None
    size, sha256 = file_digest(export)
    if size != record.get("size") or sha256 != record.get("sha256"):
        raise ValueError("the file does not match its signature record (changed or wrong file)")
    message = signed_message(kind=str(record["format"]), serial=str(record["serial"]), size=size, sha256=sha256)
    try:
        public_key.verify(claimed, message)
    except InvalidSignature:
        raise ValueError("the signature is not the ministry's (bad signature)") from None
    return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", type=Path)
    parser.add_argument("--signature", type=Path, help="default: EXPORT.sig")
    parser.add_argument("--public-key", required=True, help="PEM file, or base64 of the 32-byte key")
    args = parser.parse_args(argv)
    key_text = args.public_key
    if Path(key_text).is_file():
        key_text = Path(key_text).read_text()
    try:
        record = verify(args.export, args.signature or Path(f"{args.export}.sig"), load_public_key(key_text))
    except ValueError as exc:
        print(f"FAILED: {args.export}: {exc}", file=sys.stderr)
        return 1
    print(f"OK: {args.export} is the ministry's {record['format']} export of blocklist version {record['serial']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
