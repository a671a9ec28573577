"""Socket.IO events of the live session itself: connect, disconnect, snapshot, and the facilitator's
commands that move it (start, steps, timers, end). Who is present goes to the team, and how many to
the room, coalesced.

The server alone decides which rooms a connection joins (sessions/realtime/rooms.py); every push
is queued and sent after the commit by the plumbing (sessions/realtime/plumbing.py).
"""

import logging

from flask import Flask, request
from flask_socketio import join_room
from pydantic import ValidationError
from socketio.exceptions import ConnectionRefusedError  # as Flask-SocketIO does; its stubs omit it
from sqlalchemy import bindparam, select
from sqlalchemy.exc import TimeoutError as PoolTimeout

from extensions import db, socketio
from facilitation import audit
from facilitation.access import may_connect_as
from facilitation.models import Cohort, User
from refusals import Refusal
from sessions import scrub
from sessions.breakouts import operations as breakouts
from sessions.breakouts.events import after_disconnect, announce_rooms, announce_waiting
from sessions.breakouts.screens import members_of
from sessions.live import admission, moves, presence
from sessions.live import operations as engine
from sessions.live.models import Connection, LiveSession
from sessions.live.schemas import EnrolmentSet, GoTo, ParticipantCommand, TimerAdd, TimerStart
from sessions.live.screens import enrolment_of, moved, queue_state, state_for
from sessions.polls import ballots
from sessions.polls import operations as polls
from sessions.polls.events import after_close, wait_for_batches
from sessions.realtime import coalescing, pushes
from sessions.realtime.payloads import ConnectAuth, Empty, Versioned
from sessions.realtime.plumbing import (
    EVERYONE,
    FACILITATOR,
    Caller,
    background,
    commit,
    forget,
    handler,
    register,
    rollback,
)
from sessions.realtime.rooms import own_room, room_of, team_of
from sessions.realtime.schemas import NAMESPACE, describe, error
from sessions.video.events import close_session_rooms, drop_removed

log = logging.getLogger(__name__)

PRESENCE_INTERVAL_SECONDS = 0.5
_SESSION_VERSION = select(User.session_version).where(User.id == bindparam("user_id"))
_COHORT = select(Cohort).where(Cohort.public_id == bindparam("public_id"))


def refuse(code: str, message: str | None = None) -> ConnectionRefusedError:
    """A refused connection, as the browser reads it: `{"message": <sentence>, "data": {"code": <code>}}`."""
    sentence = error(code, message)["error"]["message"]
    return ConnectionRefusedError(sentence, {"code": code})


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth=None):
    try:
        return _connect(auth)
    except PoolTimeout:
        # No database connection came free in time (a crowd arriving): the page connects again in a
        # moment of its own, saying that lots of people are arriving.
        rollback()
        log.warning("connect: no database connection free within the pool's timeout")
        raise refuse("busy") from None


def _connect(auth):
    try:
        wanted = ConnectAuth.model_validate(auth if isinstance(auth, dict) else {})
    except ValidationError as failure:
        raise refuse("bad_payload", describe(failure)) from None
    cohort = db.session.scalar(_COHORT, {"public_id": wanted.cohort})
    try:
        participant, user = may_connect_as(wanted.role, cohort)
    except Refusal as refusal:
        rollback()
        raise refuse(refusal.code) from None
    if participant is not None and participant.admitted_at is None:
        # In the waiting room: nothing of the room reaches them until a facilitator lets them in.
        rollback()
        raise refuse("waiting")
    caller = Caller(cohort.id, wanted.role, participant.id if participant else None, user.id if user else None)
    presence.connect(request.sid, caller.cohort_id, caller.role, caller.participant_id, caller.user_id)
    commit()
    if user is not None and db.session.scalar(_SESSION_VERSION, {"user_id": user.id}) != user.session_version:
        # Signed out (or the password changed) while this socket connected: the sign-out's list of
        # sockets to close may have been read before this one was recorded.
        presence.disconnect(request.sid)
        commit()
        raise refuse("not_allowed")
    register(request.sid, caller)
    join_room(team_of(cohort.id) if wanted.role == "facilitator" else room_of(cohort.id))
    if participant is not None:
        join_room(own_room(participant.id))
        announce_presence(cohort.id)
        # Read once for both: seating a late arrival, or telling the team someone waits for a room.
        live = engine.open_session_of(cohort.id)
        room = moves.arrive(live, participant.id)
        if room is not None:
            announce_rooms(cohort.id, room.round, everyone=False, only=set(members_of(room)))
            commit()
        elif announce_waiting(cohort.id, live, participant.id):
            commit()
    # The full state follows as the answer to the client's "snapshot", which it sends on every
    # connect: events emitted before the connection is accepted may be dropped.


@socketio.on("disconnect", namespace=NAMESPACE)
def on_disconnect(*_reason):
    forget(request.sid)
    connection = presence.disconnect(request.sid)
    commit()
    if connection is not None and connection.participant_id is not None:
        announce_presence(connection.cohort_id)
        # "Reconnecting" turns into "left" by the clock; tell the console when it does.
        background(announce_presence, connection.cohort_id, delay=presence.RECONNECT_GRACE_SECONDS + 1)
        after_disconnect(connection.cohort_id, connection.participant_id)


def announce_presence(cohort_id: int) -> None:
    """Who is here, to the team, and how many, to the room: at most twice a second per cohort, however
    many people arrive or leave at once (a thousand joining must not cost a million messages)."""
    flag = f"presence:{cohort_id}"
    if coalescing.claim(flag, expires_seconds=10 * PRESENCE_INTERVAL_SECONDS):
        background(_queue_presence, cohort_id, flag, delay=PRESENCE_INTERVAL_SECONDS)


def _queue_presence(cohort_id: int, flag: str) -> None:
    # Released before reading, so a change committed after this read schedules the next push.
    coalescing.release(flag)
    if db.session.get(Cohort, cohort_id) is None:
        return
    people = presence.presence_of(cohort_id, engine.open_session_of(cohort_id))
    pushes.queue("presence", people, to=team_of(cohort_id))
    pushes.queue("presence", {"online": people["counts"]["online"]}, to=room_of(cohort_id))


def resend_states(app: Flask) -> None:
    """Send the current state and presence of every cohort this process has people in (after the
    message queue was away: whatever it dropped is superseded)."""
    with app.app_context():
        box = ballots.box()
        if isinstance(box, ballots.RedisBox):
            # Answers this process kept while Redis was away go back where every process counts them.
            box.move_to_shared(lambda poll_id: getattr(polls.facts_of(poll_id), "receipt_key", None))
        cohort_ids = db.session.scalars(
            select(Connection.cohort_id).where(Connection.server_id == presence.SERVER_ID).distinct()
        ).all()
        for cohort_id in cohort_ids:
            queue_state(cohort_id, engine.open_session_of(cohort_id))
            commit()
            announce_presence(cohort_id)


@handler("snapshot", EVERYONE)
def snapshot(caller: Caller, _payload: Empty) -> dict:
    return {"ok": True, "state": state_for(caller)}


@handler("session:start", FACILITATOR, live=True)
def start_session(caller: Caller, payload: Versioned, live: LiveSession) -> dict:
    engine.start(live, payload.version, caller.signed_in_user_id)
    return moved(caller.cohort_id, live)


# A change of step or the end closes the poll on screen: a batch of its answers that another process
# is counting commits first (see sessions/polls/events.py).
@handler("step:go", FACILITATOR, live=True)
def go_to_step(caller: Caller, payload: GoTo, live: LiveSession) -> dict:
    wait_for_batches(live)
    after_close(*moves.go_to(live, payload.version, payload.position, caller.signed_in_user_id))
    return moved(caller.cohort_id, live)


@handler("timer:start", FACILITATOR, live=True)
def start_timer(caller: Caller, payload: TimerStart, live: LiveSession) -> dict:
    engine.start_timer(live, payload.version, payload.seconds, caller.signed_in_user_id)
    return moved(caller.cohort_id, live)


@handler("timer:add", FACILITATOR, live=True)
def add_time(caller: Caller, payload: TimerAdd, live: LiveSession) -> dict:
    engine.add_time(live, payload.version, payload.seconds, caller.signed_in_user_id)
    return moved(caller.cohort_id, live)


@handler("timer:clear", FACILITATOR, live=True)
def clear_timer(caller: Caller, payload: Versioned, live: LiveSession) -> dict:
    engine.clear_timer(live, payload.version, caller.signed_in_user_id)
    return moved(caller.cohort_id, live)


@handler("session:end", FACILITATOR, live=True)
def end_session(caller: Caller, payload: Versioned, live: LiveSession) -> dict:
    wait_for_batches(live)
    last_round = breakouts.current_round(live)
    after_close(*moves.end(live, payload.version, caller.signed_in_user_id))
    close_session_rooms(caller.cohort_id, last_round)
    return moved(caller.cohort_id, live)


# Who is in the room. Letting someone in or removing them is the facilitators' decision; the room
# hears only the new count, and the removed person one last word before their sockets end.


@handler("participant:admit", FACILITATOR)
def admit_participant(caller: Caller, payload: ParticipantCommand) -> dict:
    admission.admit(caller.cohort_id, payload.participant)
    audit.record(
        caller.user_id, "participant.admit", cohort_id=caller.cohort_id, target=f"participant {payload.participant}"
    )
    announce_presence(caller.cohort_id)
    return {"ok": True}


@handler("participant:remove", FACILITATOR)
def remove_participant(caller: Caller, payload: ParticipantCommand) -> dict:
    removed = admission.remove(caller.cohort_id, payload.participant)
    audit.record(
        caller.user_id, "participant.remove", cohort_id=caller.cohort_id, target=f"participant {payload.participant}"
    )
    announce_removal(caller.cohort_id, payload.participant, removed)
    return {"ok": True, "removed": removed.name}


@handler("enrolment:set", FACILITATOR)
def set_enrolment(caller: Caller, payload: EnrolmentSet) -> dict:
    admission.set_enrolment(caller.cohort_id, payload.open, payload.waiting_room)
    return {"ok": True, "enrolment": announce_enrolment(caller.cohort_id)}


def announce_removal(cohort_id: int, participant_id: int, removed: admission.Removed) -> None:
    """After a removal (from the console or the cohort's page): the person's every socket hears it
    once and ends, their room and the team see them gone, and the journal tables are scrubbed."""
    pushes.queue("removed", {"message": REMOVED_MESSAGE}, to=own_room(participant_id))
    for sid in removed.sids:
        pushes.queue_disconnect(sid)
    if removed.round is not None:
        announce_rooms(cohort_id, removed.round, everyone=False, only=removed.room_members)
    drop_removed(cohort_id, participant_id, removed.round)
    pushes.after_commit(_scrub_journal)
    announce_presence(cohort_id)


def announce_enrolment(cohort_id: int) -> dict:
    """The team hears the enrolment settings; the room a fresh state, whose `joinable` tells the
    projector whether to keep the join code on the wall (a cohort setting: the version stays)."""
    enrolment = enrolment_of(cohort_id)
    pushes.queue("enrolment", enrolment, to=team_of(cohort_id))
    queue_state(cohort_id, engine.open_session_of(cohort_id))
    return enrolment


REMOVED_MESSAGE = (
    "You are no longer part of this group, and your journal for it has been deleted. "
    "If you think this is a mistake, please contact the people who run the group."
)


def _scrub_journal() -> None:
    scrub.soon(scrub.JOURNAL_TABLES)
