"""The journal's keys: the application key (checked against the key id the database was written
with), each participant's data key wrapped under it, and rotation. Shredding a participant's data key
shreds their journal (docs/privacy.md)."""

import logging
from datetime import UTC, datetime
from typing import Literal, overload

from cryptography.exceptions import InvalidTag
from flask import current_app
from sqlalchemy import select

from extensions import db
from refusals import Refusal
from sessions.journal import crypto
from sessions.journal.models import JournalKey, JournalKeyring

log = logging.getLogger(__name__)

_KEY_CACHE = "mend_journal_key"


def _keyring() -> JournalKeyring | None:
    return db.session.scalars(select(JournalKeyring).limit(1)).first()


def load_application_key(app=None) -> bytes:
    """The application journal key, checked against the key id the database was written with.

    Generated into the instance folder on first use only while the journal is
    empty; with journal data present, a missing or different key is refused.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy, typed by Flask as the app
    cached = app.extensions.get(_KEY_CACHE)
    if cached is not None:
        return cached
    key, source = crypto.read_application_key(app.config.get("MEND_JOURNAL_KEY"), app.instance_path)
    keyring = _keyring()
    if keyring is None:
        key = key if key is not None else crypto.generate_key_file(app.instance_path)
    elif key is None:
        raise crypto.JournalKeyError(
            f"The journal key is missing: set MEND_JOURNAL_KEY or restore {source}. The database holds journal "
            f"entries written with key id {keyring.key_id}; without that key they cannot be read, so Mend will "
            "not start rather than write entries nobody could read."
        )
    elif crypto.key_id(key) != keyring.key_id:
        raise crypto.JournalKeyError(
            f"The journal key from {source} (key id {crypto.key_id(key)}) is not the one this database's journal "
            f"was written with (key id {keyring.key_id}). Restore the right key (after a rotation, look for "
            f"{crypto.NEW_KEY_FILE} in the instance folder); Mend will not start rather than write entries "
            "nobody could read."
        )
    app.extensions[_KEY_CACHE] = key
    return key


@overload
def data_key(participant_id: int, create: Literal[True]) -> bytes: ...
@overload
def data_key(participant_id: int, create: Literal[False]) -> bytes | None: ...
def data_key(participant_id: int, create: bool) -> bytes | None:
    application_key = load_application_key()
    stored = db.session.get(JournalKey, participant_id)
    if stored is not None:
        try:
            return crypto.unwrap_data_key(application_key, participant_id, stored.wrapped_key)
        except InvalidTag:
            log.warning("the journal key of participant %s could not be unwrapped", participant_id)
            # Reading shows every entry as unreadable; writing is refused rather than adding to a broken journal.
            if create:
                raise Refusal("unreadable", "Your journal could not be opened, so nothing was saved.") from None
            return None
    if not create:
        return None
    keyring = _keyring()
    if keyring is None:
        db.session.add(JournalKeyring(key_id=crypto.key_id(application_key)))
    elif keyring.key_id != crypto.key_id(application_key):
        # Another process wrote the journal with another key (a misconfigured deployment): never add to it.
        log.error("this process's journal key is not the one the database's journal was written with")
        raise Refusal("unreadable", "Your journal could not be opened, so nothing was saved.")
    data_key = crypto.new_key()
    wrapped = crypto.wrap_data_key(application_key, participant_id, data_key)
    db.session.add(
        JournalKey(participant_id=participant_id, wrapped_key=wrapped, key_id=crypto.key_id(application_key))
    )
    db.session.flush()
    return data_key


def rotate_application_key(new_key: bytes) -> int:
    """Re-wrap every participant's data key under `new_key` (entries are untouched); returns how many."""
    old_key = load_application_key()
    new_id = crypto.key_id(new_key)
    count = 0
    for stored in db.session.scalars(select(JournalKey)):
        data_key = crypto.unwrap_data_key(old_key, stored.participant_id, stored.wrapped_key)
        stored.wrapped_key = crypto.wrap_data_key(new_key, stored.participant_id, data_key)
        stored.key_id = new_id
        count += 1
    keyring = _keyring()
    if keyring is None:
        db.session.add(JournalKeyring(key_id=new_id))
    else:
        keyring.key_id, keyring.rotated_at = new_id, datetime.now(UTC)
    db.session.flush()
    return count


def use_application_key(app, key: bytes) -> None:
    """After a rotation in this process: use the new key from now on."""
    app.extensions[_KEY_CACHE] = key
