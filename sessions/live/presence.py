"""Who is connected, kept in the database so that every server process sees the same room.

Each process registers itself and beats a heartbeat; connections of a process
that stopped beating (killed, crashed) are cleared by whichever process notices.
Attendance per live session (first seen, last seen, time present) follows from
connections opening and closing.
"""

import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import CursorResult, bindparam, delete, func, select, update

from extensions import db, socketio
from facilitation.models import Participant
from sessions.live.models import Attendance, Connection, LiveSession, ServerProcess
from sessions.live.operations import close_stretch, now, open_session_of
from sessions.realtime.plumbing import Caller, commit, rollback

SERVER_ID = f"{socket.gethostname()[:20]}-{os.getpid()}-{secrets.token_hex(3)}"
# The heartbeat (MEND_HEARTBEAT_SECONDS, 10 by default): a process silent for 3.5 beats is dead.
DEAD_AFTER_BEATS = 3.5
# A participant whose last connection dropped this recently is "reconnecting", not "left".
RECONNECT_GRACE_SECONDS = 30

log = logging.getLogger(__name__)


def _attendance(live_session_id: int, participant_id: int) -> Attendance | None:
    return db.session.scalar(
        select(Attendance).where(
            Attendance.live_session_id == live_session_id, Attendance.participant_id == participant_id
        )
    )


def _connection_count(participant_id: int) -> int:
    return db.session.execute(select(func.count()).where(Connection.participant_id == participant_id)).scalar_one()


def connect(sid: str, cohort_id: int, role: str, participant_id: int | None, user_id: int | None) -> None:
    moment = now()
    db.session.add(
        Connection(
            sid=sid,
            server_id=SERVER_ID,
            cohort_id=cohort_id,
            role=role,
            participant_id=participant_id,
            user_id=user_id,
            connected_at=moment,
        )
    )
    db.session.flush()
    if participant_id is not None:
        live = open_session_of(cohort_id)
        if live is not None:
            mark_present(live, participant_id, moment)


def mark_present(live: LiveSession, participant_id: int, moment: datetime) -> None:
    attendance = _attendance(live.id, participant_id)
    if attendance is None:
        db.session.add(
            Attendance(
                live_session_id=live.id,
                participant_id=participant_id,
                first_seen_at=moment,
                last_seen_at=moment,
                present_since=moment,
            )
        )
    elif attendance.present_since is None:
        attendance.present_since = moment
        attendance.last_seen_at = moment
    db.session.flush()


def disconnect(sid: str) -> Connection | None:
    """Forget one connection; the participant leaves the room when their last one closes."""
    connection = db.session.get(Connection, sid)
    if connection is None:
        return None
    _drop([connection], now())
    return connection


def _drop(connections: list[Connection], moment: datetime) -> None:
    for connection in connections:
        db.session.delete(connection)
    db.session.flush()
    for participant_id in {c.participant_id for c in connections if c.participant_id is not None}:
        if _connection_count(participant_id) == 0:
            live = open_session_of(db.session.get_one(Participant, participant_id).cohort_id)
            attendance = _attendance(live.id, participant_id) if live else None
            if attendance is not None:
                close_stretch(attendance, moment)
    db.session.flush()


def register_process(single_process: bool) -> None:
    """Called once at start-up (the caller commits). In one-process mode every connection left in the
    database is stale."""
    if single_process:
        stale = list(db.session.scalars(select(Connection)))
        db.session.execute(delete(ServerProcess))
    else:
        stale = _connections_of_dead_processes()
    _drop(stale, now())
    db.session.add(ServerProcess(id=SERVER_ID))
    db.session.flush()


def _connections_of_dead_processes() -> list[Connection]:
    alive_since = now() - timedelta(seconds=DEAD_AFTER_BEATS * current_app.config["MEND_HEARTBEAT_SECONDS"])
    alive = select(ServerProcess.id).where(ServerProcess.heartbeat_at >= alive_since)
    dead = list(db.session.scalars(select(Connection).where(Connection.server_id.not_in(alive))))
    db.session.execute(delete(ServerProcess).where(ServerProcess.heartbeat_at < alive_since))
    return dead


_BEAT = (
    update(ServerProcess)
    .where(ServerProcess.id == bindparam("server_id"))
    .values(heartbeat_at=bindparam("moment"))
    .execution_options(synchronize_session=False)
)


def beat(held: Callable[[], Iterable[tuple[str, Caller]]]) -> set[int]:
    """Record that this process is alive and clear dead processes' connections; return affected cohorts.

    A process too busy to beat for `DEAD_AFTER_BEATS` beats (a crowd arriving faster than it can
    admit them) is taken for dead by another, which clears its connections although their sockets
    are still open here. Its next beat registers it again and records the sockets it holds (`held`),
    so that the room sees those people again instead of losing them until they reconnect."""
    moment = now()
    cohorts: set[int] = set()
    # An UPDATE's result is a cursor's, which counts the rows it changed.
    beaten = cast(CursorResult[Any], db.session.execute(_BEAT, {"server_id": SERVER_ID, "moment": moment})).rowcount
    if not beaten:
        db.session.add(ServerProcess(id=SERVER_ID, heartbeat_at=moment))
        db.session.flush()
        lost = [(sid, caller) for sid, caller in held() if db.session.get(Connection, sid) is None]
        if lost:
            log.warning("another process took this one for dead; recording its %d connections again", len(lost))
        for sid, caller in lost:
            connect(sid, caller.cohort_id, caller.role, caller.participant_id, caller.user_id)
            cohorts.add(caller.cohort_id)
    dead = _connections_of_dead_processes()
    cohorts |= {c.cohort_id for c in dead}
    _drop(dead, moment)
    db.session.flush()
    return cohorts


def start_heartbeat(app: Flask, on_change, held: Callable[[], Iterable[tuple[str, Caller]]]) -> None:
    """Beat in the background for as long as the server runs; `on_change(cohort_id)` re-announces
    presence; `held()` lists the sockets this process holds."""

    def run() -> None:
        while True:
            socketio.sleep(app.config["MEND_HEARTBEAT_SECONDS"])
            with app.app_context():
                try:
                    cohorts = beat(held)
                    commit()
                    for cohort_id in cohorts:
                        on_change(cohort_id)
                except Exception:
                    rollback()
                    log.exception("presence heartbeat failed; retrying")

    socketio.start_background_task(run)


# Also read within the state's header (sessions/live/screens.py), with the same bound `cohort_id`.
ONLINE_COUNT = select(func.count(func.distinct(Connection.participant_id))).where(
    Connection.cohort_id == bindparam("cohort_id"), Connection.participant_id.is_not(None)
)


# Everyone in the cohort with their attendance of the open session (none without one: no row has a
# NULL session) and whether they have an open connection, in one statement of plain rows: the team's
# presence is read with every change while rooms are open, and twice a second while people come and go.
_PEOPLE = (
    select(
        Participant.id,
        Participant.display_name,
        Participant.created_at,
        Participant.admitted_at,
        Attendance.last_seen_at,
        Attendance.seconds_present,
        Attendance.present_since,
        select(Connection.sid)
        .where(Connection.participant_id == Participant.id, Connection.cohort_id == bindparam("cohort_id"))
        .exists()
        .label("online"),
    )
    .outerjoin(
        Attendance,
        (Attendance.participant_id == Participant.id) & (Attendance.live_session_id == bindparam("live_id")),
    )
    .where(Participant.cohort_id == bindparam("cohort_id"))
    .order_by(Participant.display_name)
)


def online_count(cohort_id: int) -> int:
    """How many participants have at least one open connection: the anonymous count the room sees."""
    return db.session.execute(ONLINE_COUNT, {"cohort_id": cohort_id}).scalar_one()


def presence_of(cohort_id: int, live: LiveSession | None) -> dict:
    """Everyone in the cohort with their state: online, reconnecting, left, not here yet, or waiting to
    be let in (the waiting room); `new` marks who joined the group during the open session."""
    moment = now()
    people = []
    rows = db.session.execute(_PEOPLE, {"cohort_id": cohort_id, "live_id": live.id if live is not None else None})
    for participant_id, name, joined_at, admitted_at, last_seen_at, seconds_present, present_since, online in rows:
        attended = last_seen_at is not None
        if admitted_at is None:
            state = "waiting"
        elif online:
            state = "online"
        elif not attended:
            state = "absent"
        elif (moment - last_seen_at).total_seconds() < RECONNECT_GRACE_SECONDS:
            state = "reconnecting"
        else:
            state = "left"
        seconds = seconds_present if attended else 0
        if present_since is not None:
            seconds += int((moment - present_since).total_seconds())
        new = live is not None and joined_at >= live.opened_at
        people.append({"id": participant_id, "name": name, "state": state, "minutes": seconds // 60, "new": new})
    states = ("online", "reconnecting", "left", "waiting")
    counts = {state: sum(1 for p in people if p["state"] == state) for state in states}
    return {"counts": counts, "participants": people}
