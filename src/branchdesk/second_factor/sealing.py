"""TOTP secrets sealed with AES-GCM: the server must read them back to check codes (a hash would not
do), so they are encrypted with a key that lives outside the database, and bound to their staff member
(the staff id is the associated data: a sealed secret copied onto another row does not open)."""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from branchdesk.platform.settings import Settings

KEY_FILE = "second-factor-key"
NONCE_BYTES = 12
_VERSION = b"\x01"  # the first byte of a sealed secret: the format, so that a later one can differ
_boxes: dict[str, AESGCM] = {}


def _key_text(settings: Settings) -> str:
    if settings.second_factor_key is not None:
        return settings.second_factor_key.get_secret_value()
    path: Path = settings.data_dir / KEY_FILE  # development: generated once, kept with the signing keys
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


def _box(settings: Settings) -> AESGCM:
    text = _key_text(settings)
    box = _boxes.get(text)
    if box is None:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        if len(key) != 32:
            raise ValueError("BRANCHDESK_SECOND_FACTOR_KEY must be 32 bytes, base64url-encoded")
        box = _boxes[text] = AESGCM(key)
    return box


def seal(settings: Settings, staff_id: uuid.UUID, secret: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return _VERSION + nonce + _box(settings).encrypt(nonce, secret.encode(), staff_id.bytes)


def unseal(settings: Settings, staff_id: uuid.UUID, sealed: bytes) -> str:
    if sealed[:1] != _VERSION:
        raise ValueError("unknown sealed-secret format")
    nonce, ciphertext = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    return _box(settings).decrypt(nonce, ciphertext, staff_id.bytes).decode()
