"""The journal's encryption: the application key, per-participant data keys, and sealed entries.

Two layers (docs/privacy.md): each participant has a random 256-bit data key,
stored only wrapped (AES-GCM) by the application's journal key; each entry is
sealed with AES-GCM under its author's data key, with the participant's and the
entry's ids as associated data, so a sealed entry moved to another row or another
participant no longer opens. The application key comes from `MEND_JOURNAL_KEY`
(urlsafe base64 of 32 bytes) or from `journal_key` in the instance folder, never
from the database; the database keeps only its key id, an HMAC of the key, so a
wrong or missing key is noticed at start-up instead of producing unreadable data.
"""

import base64
import binascii
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
KEY_FILE = "journal_key"
# Where `rotate-journal-key` puts a new key it cannot install itself (the old one comes from the environment).
NEW_KEY_FILE = "journal_key.new"


class JournalKeyError(Exception):
    """The application journal key is missing, malformed or not the one the journal was written with."""


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def decode_key(text: str, source: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise JournalKeyError(
            f"The journal key in {source} is not valid: it must be 32 random bytes in urlsafe base64 "
            '(for example the output of: python -c "import os,base64;print(base64.urlsafe_b64encode(os.urandom(32)).decode())").'
        )
    return key


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def key_id(key: bytes) -> str:
    """A short public name for a key: an HMAC under the key itself, which reveals nothing about it."""
    return hmac.new(key, b"mend journal key id", hashlib.sha256).hexdigest()[:16]


def write_key_file(path: Path, key: bytes) -> None:
    """Write `key` to `path` with owner-only permissions (replacing any file there)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(encode_key(key) + "\n")
    os.replace(temporary, path)


def read_application_key(configured: str | None, instance_path: str) -> tuple[bytes | None, str]:
    """The configured key (environment first, then the instance file) and where it came from; None if neither."""
    if configured:
        return decode_key(configured, "MEND_JOURNAL_KEY"), "MEND_JOURNAL_KEY"
    path = Path(instance_path) / KEY_FILE
    if path.exists():
        return decode_key(path.read_text(), str(path)), str(path)
    return None, str(path)


def generate_key_file(instance_path: str) -> bytes:
    """Create the instance's journal key on first start; if another process just did, use theirs."""
    path = Path(instance_path) / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return decode_key(path.read_text(), str(path))
    with os.fdopen(fd, "w") as handle:
        handle.write(encode_key(new_key()) + "\n")
    return decode_key(path.read_text(), str(path))


def _seal(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def _open(key: bytes, sealed: bytes, associated: bytes) -> bytes:
    """Raises cryptography's InvalidTag if the key is wrong or a single bit of `sealed` or `associated` changed."""
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated)


def _data_key_context(participant_id: int) -> bytes:
    return f"mend-journal-data-key:v1:{participant_id}".encode()


def _entry_context(participant_id: int, entry_id: str) -> bytes:
    return f"mend-journal-entry:v1:{participant_id}:{entry_id}".encode()


def wrap_data_key(application_key: bytes, participant_id: int, data_key: bytes) -> bytes:
    return _seal(application_key, data_key, _data_key_context(participant_id))


def unwrap_data_key(application_key: bytes, participant_id: int, wrapped: bytes) -> bytes:
    return _open(application_key, wrapped, _data_key_context(participant_id))


def seal_entry(data_key: bytes, participant_id: int, entry_id: str, plaintext: bytes) -> bytes:
    return _seal(data_key, plaintext, _entry_context(participant_id, entry_id))


def open_entry(data_key: bytes, participant_id: int, entry_id: str, sealed: bytes) -> bytes:
    return _open(data_key, sealed, _entry_context(participant_id, entry_id))
