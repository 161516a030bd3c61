"""The ministry's Ed25519 signing key for blocklist exports.

Given by settings.BLOCKING_SIGNING_KEY (PEM text), or read from settings.BLOCKING_SIGNING_KEY_PATH
(default VAR_DIR/blocklist-signing-key.pem), generated there on first use and kept private (0600).
"""

import base64
import hashlib
import json
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.utils import timezone

from .verify_blocklist import signed_message


def _key_path() -> Path:
    configured = settings.BLOCKING_SIGNING_KEY_PATH
    return Path(configured) if configured else Path(settings.VAR_DIR) / "blocklist-signing-key.pem"


@cache
def private_key() -> Ed25519PrivateKey:
    text = settings.BLOCKING_SIGNING_KEY
    if not text:
        path = _key_path()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            temporary = path.with_suffix(".tmp")
            temporary.touch(mode=0o600)
            temporary.write_bytes(pem)
            temporary.replace(path)  # two processes starting at once: the last complete key wins before use
        text = path.read_text()
    key = serialization.load_pem_private_key(text.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("BLOCKING_SIGNING_KEY is not an Ed25519 private key")
    return key


def public_key_pem() -> str:
    return (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def public_key_base64() -> str:
    raw = private_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def fingerprint() -> str:
    return hashlib.sha256(base64.b64decode(public_key_base64())).hexdigest()[:32]


def signature_record(*, kind: str, serial: str, size: int, sha256: str, filename: str, isp=None) -> str:
    """The signature file of one export. For an ISP's own list the signed format names the ISP ("rpz for ISP 7"),
    so the verifier reports whose list it is and a list cannot be passed off as another ISP's."""
    if isp is not None:
        kind = f"{kind} for ISP {isp.pk}"
    signature = private_key().sign(signed_message(kind=kind, serial=serial, size=size, sha256=sha256))
    record = {
        "file": filename,
        "format": kind,
        **({} if isp is None else {"isp": isp.pk, "isp_name": isp.name}),
        "serial": serial,
        "size": size,
        "sha256": sha256,
        "signed_at": timezone.now().isoformat(),
        "key_fingerprint": fingerprint(),
        "algorithm": "Ed25519",
        "signature": base64.b64encode(signature).decode(),
    }
    return json.dumps(record, indent=2) + "\n"
