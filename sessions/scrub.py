"""Leave nothing behind in the database's files once a poll closes or a person deletes their data.

Deleting a row is not enough: SQLite keeps earlier versions of each page in its write-ahead log
until a checkpoint, and PostgreSQL keeps old row versions ("dead tuples") in the table's pages
until a vacuum. A copy of the files taken then could link a person to an answer, or give back a
deleted journal's wrapped key. So after the commit that closed a poll or deleted data, a
background task folds the WAL into the database and truncates it (SQLite, whose freed space
`secure_delete` has already zeroed), or rewrites the tables concerned (PostgreSQL `VACUUM FULL`,
which writes a fresh file without the dead versions). docs/privacy.md says what this covers and
what it cannot (PostgreSQL's own WAL and backups).
"""

import logging

from flask import Flask, current_app
from sqlalchemy.exc import DBAPIError

from extensions import db, socketio

log = logging.getLogger(__name__)

# `poll` too: its old row versions hold the poll's key, which sealed the answers waiting in Redis.
POLL_TABLES = ("poll", "poll_participation", "poll_tally", "poll_text_answer", "spent_receipt")
# "Delete everything": the wrapped data key and the name; the sealed entries (unreadable without
# their key) go too. Deleting one entry: that entry, whose key still exists.
JOURNAL_TABLES = ("journal_key", "participant", "journal_entry", "journal_score", "shared_trend")
ENTRY_TABLES = ("journal_entry",)
# A trend shared by name and withdrawn: the facilitators' copy.
SHARED_TREND_TABLES = ("shared_trend",)
# A checkpoint waits for readers of older pages to finish (and VACUUM FULL for the tables' locks): it is
# tried again, every 0.1 s for up to half a minute, until they have.
ATTEMPTS = 300
RETRY_SECONDS = 0.1


def soon(tables: tuple[str, ...]) -> None:
    """Scrub after the current request or event (call it after the commit)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy, typed by Flask as the app
    socketio.start_background_task(scrub, app, tables)  # type: ignore[arg-type]  # stubs want a task returning None


def scrub(app: Flask, tables: tuple[str, ...]) -> bool:
    """Scrub now (the CLI and tests call this directly). True once nothing old is left."""
    with app.app_context():
        engine = db.engine
        for _attempt in range(ATTEMPTS):
            try:
                done = _checkpoint() if engine.dialect.name == "sqlite" else _vacuum(tables)
            except DBAPIError as problem:
                log.warning("scrub deferred: %s", type(problem.orig).__name__)
                done = False
            if done:
                return True
            socketio.sleep(RETRY_SECONDS)  # type: ignore[arg-type]  # any seconds; the stubs say int
        log.error("scrub did not complete: readers kept the old pages in use")
        return False


def _checkpoint() -> bool:
    with db.engine.connect() as connection:
        # Not waiting here: a reader in another greenlet of this process could not finish meanwhile.
        connection.exec_driver_sql("PRAGMA busy_timeout=0")
        try:
            busy, _log, _done = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        finally:
            connection.exec_driver_sql("PRAGMA busy_timeout=5000")
    return busy == 0


def _vacuum(tables: tuple[str, ...]) -> bool:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # VACUUM FULL needs every table to itself for a moment; rather than queue behind (and block)
        # the sessions using them, it gives up quickly and tries again.
        connection.exec_driver_sql("SET lock_timeout = '200ms'")
        connection.exec_driver_sql(f"VACUUM (FULL) {', '.join(tables)}")
    return True
