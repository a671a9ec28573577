"""Socket.IO handlers of the live session: authorise, validate, call the engine, emit.

The server alone decides which rooms a connection joins: the cohort's room
(participants and projector), the facilitator team's room, and each
participant's own room. Every push goes through an emit to one of these rooms,
so the same code works across processes with a message queue.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from flask import Flask, current_app, request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room
from limits import RateLimitItemPerMinute, storage, strategies
from limits.errors import StorageError
from pydantic import ValidationError
from sqlalchemy import select

from extensions import db, socketio
from facilitation.cohorts import may_run
from facilitation.models import Cohort, Participant
from facilitation.models.organisations import MIN_REVEAL_THRESHOLD
from sessions import scrub
from sessions.breakouts import operations as breakouts
from sessions.breakouts.models import BreakoutRound
from sessions.journal import operations as journal
from sessions.live import operations as engine
from sessions.live import presence
from sessions.live.identity import current_participant
from sessions.live.models import Connection, LiveSession
from sessions.live.operations import SessionError
from sessions.live.screens import Snapshot, public_state, team_state
from sessions.polls import ballots
from sessions.polls import operations as polls
from sessions.polls.models import Poll
from sessions.realtime import coalescing
from sessions.realtime.schemas import EVENTS, NAMESPACE, ConnectAuth, describe, error
from sessions.safety import operations as safety

log = logging.getLogger(__name__)

_limiters: tuple[strategies.SlidingWindowCounterRateLimiter, strategies.SlidingWindowCounterRateLimiter] | None = None


def room_of(cohort_id: int) -> str:
    return f"cohort:{cohort_id}"


def team_of(cohort_id: int) -> str:
    return f"cohort:{cohort_id}:team"


def own_room(participant_id: int) -> str:
    return f"participant:{participant_id}"


def _rate_limiters() -> tuple[strategies.SlidingWindowCounterRateLimiter, strategies.SlidingWindowCounterRateLimiter]:
    """The shared limiter (Redis when several processes run) and this process's own, used while the
    shared store is unreachable: a Redis restart must not stop a session."""
    global _limiters
    if _limiters is None:
        shared = storage.storage_from_string(current_app.config["RATELIMIT_STORAGE_URI"], wrap_exceptions=True)
        _limiters = (
            strategies.SlidingWindowCounterRateLimiter(shared),
            strategies.SlidingWindowCounterRateLimiter(storage.MemoryStorage()),
        )
    return _limiters


def _within(limits: tuple, *identifiers: str) -> bool:
    """Count one hit against each of `limits` for `identifiers`, in the store every process shares."""
    shared, own = _rate_limiters()
    key = (current_app.config["MEND_REDIS_PREFIX"], *identifiers)
    try:
        return all(shared.hit(limit, *key) for limit in limits)
    except StorageError:
        log.warning("rate-limit store unreachable; counting in this process meanwhile")
        return all(own.hit(limit, *key) for limit in limits)


class EventBudget:
    """How many more events one connection may send now: a burst of clicks is fine, a flood is not.

    A token bucket: 20 at once, refilled at 10 a second (600 a minute). Only the process holding a
    socket ever sees its events, so the budget lives beside the socket in this process and goes
    with it; limits shared between processes (pause requests, sign-in attempts) use `_within`. A
    shared store here cost a Redis round trip on every event, and the in-memory store started a
    thread a hundred times a second to expire keys."""

    BURST = 20
    PER_SECOND = 10

    __slots__ = ("tokens", "updated")

    def __init__(self) -> None:
        self.tokens = float(self.BURST)
        self.updated = time.monotonic()

    def spend(self) -> bool:
        moment = time.monotonic()
        self.tokens = min(self.BURST, self.tokens + (moment - self.updated) * self.PER_SECOND)
        self.updated = moment
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass(slots=True)
class Caller:
    """Who is at the other end of a socket, as established when it connected (a socket never changes
    cohort, role or person), with its event budget. The `connection` table records the same for
    presence, across processes; this copy saves a database read on every event."""

    cohort_id: int
    role: str
    participant_id: int | None
    user_id: int | None
    budget: EventBudget = field(default_factory=EventBudget)


# Every socket this process holds, from its accepted connect to its disconnect.
_callers: dict[str, Caller] = {}


def state_for(caller: Caller) -> dict:
    live = engine.open_session_of(caller.cohort_id)
    if caller.role == "facilitator":
        return team_state(caller.cohort_id, live)
    state = public_state(caller.cohort_id, live)
    if caller.participant_id is not None:
        participant = db.session.get(Participant, caller.participant_id)
        poll = polls.active_poll(live)
        state["you"] = {
            "name": participant.display_name,
            # Whether their answer to the open poll was counted, waits, or was lost (their browser then
            # sends it again).
            "poll": {"id": poll.id, "answer": polls.answer_status(poll, participant.id)}
            if poll is not None and poll.status == "open"
            else None,
            "breakout": breakouts.view_for(live, participant.id),
            **safety.private_state(live, participant),
        }
    return state


def broadcast_state(cohort_id: int, live: LiveSession | None) -> None:
    """Commit, then send the new state to the room and to the team, once each. A command's change may
    still be pending: the room's state is then read in its transaction (one transaction fewer per
    change), and nothing is sent unless the commit succeeds."""
    view = Snapshot(cohort_id, live)
    public = view.public()
    # Also hands the database connection back before writing to sockets and Redis, which yield to
    # other greenlets: holding it meanwhile would let a burst of events exhaust the pool.
    db.session.commit()
    socketio.emit("state", public, to=room_of(cohort_id), namespace=NAMESPACE)
    # Let the room's sockets send before the team's fuller state is built (database calls do not yield).
    socketio.sleep(0)
    team = view.team(public, pushed=True)
    db.session.commit()
    socketio.emit("state", team, to=team_of(cohort_id), namespace=NAMESPACE)


PRESENCE_INTERVAL_SECONDS = 0.5


def announce_presence(cohort_id: int) -> None:
    """Who is here, to the team, and how many, to the room: at most twice a second per cohort, however
    many people arrive or leave at once (a thousand joining must not cost a million messages)."""
    flag = f"presence:{cohort_id}"
    if not coalescing.claim(flag, expires_seconds=10 * PRESENCE_INTERVAL_SECONDS):
        return
    app = current_app._get_current_object()

    def push() -> None:
        socketio.sleep(PRESENCE_INTERVAL_SECONDS)
        with app.app_context():
            # Released before reading, so a change committed after this read schedules the next push.
            coalescing.release(flag)
            _send_presence(cohort_id)

    socketio.start_background_task(push)


def _send_presence(cohort_id: int) -> None:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        return
    live = engine.open_session_of(cohort_id)
    people = presence.presence_of(cohort_id, live)
    db.session.commit()  # the connection goes back before the sockets are written to
    socketio.emit("presence", people, to=team_of(cohort_id), namespace=NAMESPACE)
    socketio.emit("presence", {"online": people["counts"]["online"]}, to=room_of(cohort_id), namespace=NAMESPACE)


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
            broadcast_state(cohort_id, engine.open_session_of(cohort_id))
            announce_presence(cohort_id)


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth=None):
    try:
        wanted = ConnectAuth.model_validate(auth if isinstance(auth, dict) else {})
    except ValidationError as failure:
        raise ConnectionRefusedError(error("bad_payload", describe(failure))["error"]) from None
    cohort = db.session.scalar(select(Cohort).where(Cohort.public_id == wanted.cohort))
    participant = user = None
    if cohort is not None and wanted.role == "participant":
        participant = current_participant(cohort)
    elif cohort is not None and current_user.is_authenticated and may_run(current_user, cohort):
        user = current_user
    if participant is None and user is None:
        raise ConnectionRefusedError(error("not_allowed")["error"])
    caller = Caller(cohort.id, wanted.role, participant.id if participant else None, user.id if user else None)
    presence.connect(request.sid, caller.cohort_id, caller.role, caller.participant_id, caller.user_id)
    db.session.commit()
    _callers[request.sid] = caller
    if wanted.role == "facilitator":
        join_room(team_of(cohort.id))
    else:
        join_room(room_of(cohort.id))
    if participant is not None:
        join_room(own_room(participant.id))
        announce_presence(cohort.id)
        room = breakouts.seat_late_arrival(engine.open_session_of(cohort.id), participant.id)
        if room is not None:
            db.session.commit()
            announce_rooms(cohort.id, room.round, everyone=False, only=set(breakouts.members_of(room)))
    # The full state follows as the answer to the client's "snapshot", which it sends on every
    # connect: events emitted before the connection is accepted may be dropped.


@socketio.on("disconnect", namespace=NAMESPACE)
def on_disconnect(*_reason):
    _callers.pop(request.sid, None)
    connection = presence.disconnect(request.sid)
    db.session.commit()
    if connection is not None and connection.participant_id is not None:
        cohort_id = connection.cohort_id
        announce_presence(cohort_id)
        app = current_app._get_current_object()

        def after_grace() -> None:
            # "Reconnecting" turns into "left" by the clock; tell the console when it does.
            socketio.sleep(presence.RECONNECT_GRACE_SECONDS + 1)
            with app.app_context():
                announce_presence(cohort_id)

        socketio.start_background_task(after_grace)


def handler(event: str, roles: tuple[str, ...]) -> Callable:
    """Register `event`: rate-limit, identify and authorise the caller, validate the payload.

    The wrapped function gets (caller, payload) and returns the acknowledgement.
    Any refusal rolls back, so a bad request changes nothing.
    """
    schema = EVENTS[event]

    def decorate(function: Callable) -> Callable:
        @socketio.on(event, namespace=NAMESPACE)
        @wraps(function)
        def wrapper(payload=None):
            caller = _callers.get(request.sid)
            if caller is None:
                return error("not_allowed")
            if not caller.budget.spend():
                return error("rate_limited")
            if caller.role not in roles:
                return error("forbidden")
            try:
                data = schema.model_validate({} if payload is None else payload)
            except ValidationError as failure:
                return error("bad_payload", describe(failure))
            try:
                return function(caller, data)
            except SessionError as refusal:
                db.session.rollback()
                extra = {"state": state_for(caller)} if refusal.code == "stale_version" else {}
                return error(refusal.code, refusal.message, **extra)
            except Exception:
                db.session.rollback()
                log.exception("%s failed", event)
                return error("server_error")

        return wrapper

    return decorate


@socketio.on("*", namespace=NAMESPACE)
def unknown_event(event, *_args):
    return error("unknown_event")


@handler("snapshot", roles=("participant", "facilitator", "projector"))
def snapshot(caller: Caller, _data) -> dict:
    return {"ok": True, "state": state_for(caller)}


def _command(apply: Callable) -> Callable:
    """A facilitator command on the open session: apply, commit, then broadcast."""

    def run(caller: Caller, data) -> dict:
        live = engine.open_session_of(caller.cohort_id)
        if live is None:
            raise SessionError("no_session")
        apply(live, data, caller.user_id)
        # Committed by broadcast_state, after it read the room's state in the same transaction.
        # An ended session is still announced as ended, so that every screen can say so.
        broadcast_state(caller.cohort_id, live)
        return {"ok": True, "version": live.version}

    return run


def _open_live(cohort_id: int) -> LiveSession:
    live = engine.open_session_of(cohort_id)
    if live is None:
        raise SessionError("no_session")
    return live


FACILITATOR = ("facilitator",)


handler("session:start", FACILITATOR)(_command(lambda live, d, user_id: engine.start(live, d.version, user_id)))


@handler("step:go", roles=FACILITATOR)
def go_to_step(caller: Caller, data) -> dict:
    wait_for_batches(caller.cohort_id)
    live = _open_live(caller.cohort_id)
    breakouts.leave_step(live)
    # Leaving a step also closes its poll, counting what waits.
    closed = polls.close_open_poll(live) if data.position != live.position else (None, [])
    engine.go_to(live, data.version, data.position, caller.user_id)
    broadcast_state(caller.cohort_id, live)
    after_close(*closed)
    return {"ok": True, "version": live.version}


handler("timer:start", FACILITATOR)(
    _command(lambda live, d, user_id: engine.start_timer(live, d.version, d.seconds, user_id))
)
handler("timer:add", FACILITATOR)(
    _command(lambda live, d, user_id: engine.add_time(live, d.version, d.seconds, user_id))
)
handler("timer:clear", FACILITATOR)(_command(lambda live, d, user_id: engine.clear_timer(live, d.version, user_id)))


@handler("session:end", roles=FACILITATOR)
def end_session(caller: Caller, data) -> dict:
    wait_for_batches(caller.cohort_id)
    live = _open_live(caller.cohort_id)
    closed = polls.close_open_poll(live) if live.status == "live" else (None, [])
    engine.end(live, data.version, caller.user_id)
    broadcast_state(caller.cohort_id, live)
    after_close(*closed)
    return {"ok": True, "version": live.version}


# Polls ---------------------------------------------------------------------------------------------------
# An answer is acknowledged as received at once and counted later, with others (sessions/polls/ballots.py).
# Nothing anyone else is shown changes at the moment of one person's tap: the count of who responded
# goes out after a random delay, and results change only when a batch is counted.

PROGRESS_DELAY_SECONDS = (0.5, 1.5)
BATCH_DELAY_SECONDS = (1.0, 2.0)
_jitter = random.SystemRandom()
# Poll id -> until when this process knows that a count of its ballot box (or a push of its progress)
# is already scheduled: a burst of answers then costs no round trip to Redis each.
_count_scheduled: dict[int, float] = {}
_progress_scheduled: dict[int, float] = {}

handler("poll:open", FACILITATOR)(_command(lambda live, d, user_id: polls.open_poll(live, d.version, user_id, d.quick)))
handler("poll:reveal", FACILITATOR)(_command(lambda live, d, user_id: polls.reveal_results(live, d.version, user_id)))


CLOSE_WAIT_SECONDS = 5


def wait_for_batches(cohort_id: int) -> None:
    """Before a close: let a batch another process is counting commit first, so that the close counts
    whatever remains and nothing taken is left out (waiting without holding a database connection)."""
    live = engine.open_session_of(cohort_id)
    poll_id = live.active_poll_id if live is not None else None
    db.session.commit()
    deadline = time.monotonic() + CLOSE_WAIT_SECONDS
    while poll_id is not None and polls.batch_in_progress(poll_id) and time.monotonic() < deadline:
        socketio.sleep(0.05)


@handler("poll:close", roles=FACILITATOR)
def close_poll(caller: Caller, data) -> dict:
    wait_for_batches(caller.cohort_id)
    live = _open_live(caller.cohort_id)
    closed = polls.close_poll(live, data.version, caller.user_id)
    broadcast_state(caller.cohort_id, live)
    after_close(*closed)
    return {"ok": True, "version": live.version}


def after_close(poll: Poll | None, outcomes: list[polls.Outcome]) -> None:
    """Once a close is committed: tell each person whose answer was counted in it, then scrub the files."""
    if poll is None:
        return
    tell_counted(poll.id, outcomes)
    scrub.soon(scrub.POLL_TABLES)


def tell_counted(poll_id: int, outcomes: list[polls.Outcome]) -> None:
    """Each person's own devices, and nobody else's, learn that their answer was counted (with the
    receipt that lets them change it) or why it could not be."""
    for outcome in outcomes:
        message: dict = {"poll": poll_id, "received": outcome.ballot.nonce}
        if outcome.receipt is not None:
            message["receipt"] = outcome.receipt
        else:
            message["error"] = {"code": outcome.refusal.code, "message": outcome.refusal.message}
        socketio.emit("poll:counted", message, to=own_room(outcome.ballot.participant_id), namespace=NAMESPACE)


@handler("poll:moderate", roles=FACILITATOR)
def moderate_poll(caller: Caller, data) -> dict:
    live = _open_live(caller.cohort_id)
    poll = polls.moderate(live, data.target, data.hidden)
    db.session.commit()
    socketio.emit(
        "poll:results", polls.poll_view(poll, for_team=True), to=team_of(caller.cohort_id), namespace=NAMESPACE
    )
    return {"ok": True}


@handler("poll:answer", roles=("participant",))
def answer_poll(caller: Caller, data) -> dict:
    previous = data.previous.model_dump() if data.previous else None
    receipt = polls.receive_answer(caller.cohort_id, caller.participant_id, data.poll, data.answer.as_dict(), previous)
    # Nothing was written: this only hands the connection back before the pushes are scheduled.
    db.session.commit()
    schedule_count(caller.cohort_id, data.poll)
    announce_progress(caller.cohort_id, data.poll)
    return {"ok": True, "counted": False, "receipt": receipt}


def schedule_count(cohort_id: int, poll_id: int) -> None:
    """Make sure the poll's ballot box is looked at soon (by one process), and a batch counted if due."""
    moment = time.monotonic()
    if _count_scheduled.get(poll_id, 0) > moment:
        return
    _count_scheduled[poll_id] = moment + BATCH_DELAY_SECONDS[1]
    flag = f"ballots:{poll_id}"
    if not coalescing.claim(flag, expires_seconds=30):
        return
    app = current_app._get_current_object()

    def count() -> None:
        socketio.sleep(_jitter.uniform(*BATCH_DELAY_SECONDS))
        with app.app_context():
            _count_scheduled.pop(poll_id, None)
            # One count at a time across processes: the flag is held until the batch is committed.
            try:
                poll, outcomes = polls.count_batch(poll_id)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("counting a batch of answers failed; their browsers send them again")
                return
            finally:
                polls.batch_done(poll_id)
                coalescing.release(flag)
            tell_counted(poll_id, outcomes)
            if poll is None or poll.status != "open":
                return
            if outcomes:
                announce_results(cohort_id, poll)
            if polls.due_batch(poll):
                schedule_count(cohort_id, poll_id)

    socketio.start_background_task(count)


def _progress_of(cohort_id: int, poll: Poll) -> dict:
    return {**polls.progress(poll), "of": presence.online_count(cohort_id)}


def announce_progress(cohort_id: int, poll_id: int) -> None:
    """How many have responded, to the room and the team: once per moment however fast answers
    arrive, and after a random delay, so that no push can be timed to a tap."""
    moment = time.monotonic()
    if _progress_scheduled.get(poll_id, 0) > moment:
        return
    _progress_scheduled[poll_id] = moment + PROGRESS_DELAY_SECONDS[0]
    flag = f"poll-progress:{poll_id}"
    if not coalescing.claim(flag, expires_seconds=10 * PROGRESS_DELAY_SECONDS[1]):
        return
    app = current_app._get_current_object()

    def push() -> None:
        socketio.sleep(_jitter.uniform(*PROGRESS_DELAY_SECONDS))
        with app.app_context():
            # Released before reading, so an answer received after this read schedules the next push.
            coalescing.release(flag)
            poll = db.session.get(Poll, poll_id)
            counts = _progress_of(cohort_id, poll)
            db.session.commit()
            socketio.emit("poll:progress", counts, to=room_of(cohort_id), namespace=NAMESPACE)
            socketio.emit("poll:progress", counts, to=team_of(cohort_id), namespace=NAMESPACE)

    socketio.start_background_task(push)


def announce_results(cohort_id: int, poll: Poll) -> None:
    """After a batch was counted: the team's live results, and the count of who responded to everyone."""
    counts = _progress_of(cohort_id, poll)
    view = polls.poll_view(poll, for_team=True)
    db.session.commit()
    socketio.emit("poll:progress", counts, to=room_of(cohort_id), namespace=NAMESPACE)
    socketio.emit("poll:progress", counts, to=team_of(cohort_id), namespace=NAMESPACE)
    socketio.emit("poll:results", view, to=team_of(cohort_id), namespace=NAMESPACE)


# Breakout rounds ---------------------------------------------------------------------------------------


def announce_rooms(cohort_id: int, round_: BreakoutRound, everyone: bool = True, only: set[int] | None = None) -> None:
    """After a commit that changed who sits where: each seated participant (or those in `only`) hears
    of their own room and nobody else's, and the team gets the new overview (everyone the new state)."""
    if round_.status != "proposed":
        for participant_id, view in breakouts.personal_views(round_, only).items():
            socketio.emit("breakout:you", view, to=own_room(participant_id), namespace=NAMESPACE)
    live = engine.open_session_of(cohort_id)
    if everyone:
        broadcast_state(cohort_id, live)
    else:
        socketio.emit("state", team_state(cohort_id, live, pushed=True), to=team_of(cohort_id), namespace=NAMESPACE)


def _rooms_command(apply: Callable, tell_rooms: bool = False) -> Callable:
    """A facilitator's breakout command: like `_command`, and when seats or roles changed, each
    participant is told their own place."""

    def run(caller: Caller, data) -> dict:
        live = engine.open_session_of(caller.cohort_id)
        if live is None:
            raise SessionError("no_session")
        round_ = apply(live, data, caller.user_id)
        db.session.commit()
        if tell_rooms and round_ is not None:
            announce_rooms(caller.cohort_id, round_)
        else:
            broadcast_state(caller.cohort_id, live)
        return {"ok": True, "version": live.version}

    return run


handler("breakout:propose", FACILITATOR)(
    _rooms_command(
        lambda live, d, user_id: breakouts.propose(
            live, d.version, user_id, d.ad_hoc.model_dump() if d.ad_hoc else None, d.late_arrivals, d.auto_recall
        )
    )
)
handler("breakout:start", FACILITATOR)(
    _rooms_command(lambda live, d, user_id: breakouts.start(live, d.version, user_id, d.round), tell_rooms=True)
)
handler("breakout:move", FACILITATOR)(
    _rooms_command(
        lambda live, d, user_id: breakouts.move(live, d.version, user_id, d.round, d.participant, d.room),
        tell_rooms=True,
    )
)
handler("breakout:roles", FACILITATOR)(
    _rooms_command(lambda live, d, user_id: breakouts.switch_roles(live, d.version, user_id, d.round), tell_rooms=True)
)
handler("breakout:time", FACILITATOR)(
    _rooms_command(lambda live, d, user_id: breakouts.add_time(live, d.version, user_id, d.round, d.seconds))
)
handler("breakout:message", FACILITATOR)(
    _rooms_command(lambda live, d, user_id: breakouts.send_message(live, d.version, user_id, d.round, d.text))
)
handler("breakout:recall", FACILITATOR)(
    _rooms_command(lambda live, d, user_id: breakouts.recall(live, d.version, user_id, d.round))
)
handler("breakout:close", FACILITATOR)(
    _rooms_command(lambda live, d, user_id: breakouts.close(live, d.version, user_id, d.round))
)


@handler("breakout:help_answer", roles=FACILITATOR)
def answer_help(caller: Caller, data) -> dict:
    room = breakouts.answer_help(_open_live(caller.cohort_id), data.round, data.room)
    db.session.commit()
    announce_rooms(caller.cohort_id, room.round, everyone=False, only=set(breakouts.members_of(room)))
    return {"ok": True}


@handler("breakout:sit_out", roles=("participant",))
def sit_out(caller: Caller, data) -> dict:
    live = _open_live(caller.cohort_id)
    round_ = breakouts.sit_out(live, caller.participant_id, data.sitting_out)
    db.session.commit()
    if round_ is not None:
        announce_rooms(caller.cohort_id, round_, everyone=False)
    else:
        socketio.emit(
            "state", team_state(caller.cohort_id, live, pushed=True), to=team_of(caller.cohort_id), namespace=NAMESPACE
        )
    return {"ok": True, "you": breakouts.view_for(live, caller.participant_id)}


@handler("breakout:help", roles=("participant",))
def ask_for_help(caller: Caller, data) -> dict:
    room = breakouts.ask_for_help(_open_live(caller.cohort_id), caller.participant_id, data.round)
    db.session.commit()
    announce_rooms(caller.cohort_id, room.round, everyone=False, only=set(breakouts.members_of(room)))
    return {"ok": True}


@handler("breakout:share", roles=("participant",))
def share_notes(caller: Caller, data) -> dict:
    room = breakouts.agree_to_share(_open_live(caller.cohort_id), caller.participant_id, data.round, data.agree)
    db.session.commit()
    announce_rooms(
        caller.cohort_id, room.round, everyone=room.shared_at is not None, only=set(breakouts.members_of(room))
    )
    return {"ok": True, "shared": room.shared_at is not None}


@handler("breakout:notes", roles=("participant",))
def edit_notes(caller: Caller, data) -> dict:
    live = _open_live(caller.cohort_id)
    room = breakouts.edit_notes(live, caller.participant_id, data.round, data.revision, data.patch)
    db.session.commit()
    notes = {"round": data.round, "room": room.id, "revision": room.notes_revision, "text": room.notes}
    for participant_id in breakouts.members_of(room):
        socketio.emit("breakout:notes", notes, to=own_room(participant_id), namespace=NAMESPACE)
    socketio.emit("breakout:notes", notes, to=team_of(caller.cohort_id), namespace=NAMESPACE)
    return {"ok": True, "revision": room.notes_revision, "text": room.notes}


# Safety in the room (issue 8): the private pause signal, the grounding break, content notes.
# Pause signals and content-note choices go to the team room and to the participant's own room only;
# they never bump the version, because a state push reaches the whole room.

# Per participant, across their devices: a few taps are heard, a flood is not.
PAUSE_LIMITS = (RateLimitItemPerMinute(5),)


def announce_signals(cohort_id: int, live: LiveSession, new: int | None = None) -> None:
    """Every facilitator of the cohort, whichever is presenting, gets the session's signals; `new` is one to alert."""
    signals = {"signals": safety.signals_of(live), "new": new}
    socketio.emit("safety:signals", signals, to=team_of(cohort_id), namespace=NAMESPACE)


def tell_participant(participant_id: int, signal) -> None:
    """The participant's own devices, and no one else's, learn how their pause request stands."""
    status = safety.own_signal_view(signal) or {"status": "resolved", "from": None, "reply": None}
    socketio.emit("pause:status", status, to=own_room(participant_id), namespace=NAMESPACE)


@handler("pause:raise", roles=("participant",))
def raise_pause(caller: Caller, _data) -> dict:
    if not _within(PAUSE_LIMITS, "pause", str(caller.participant_id)):
        return error(
            "rate_limited",
            "Your facilitators already have your request for a pause. Give them a moment before asking again.",
        )
    live = _open_live(caller.cohort_id)
    signal, new = safety.raise_signal(live, caller.participant_id)
    db.session.commit()
    if new:
        announce_signals(caller.cohort_id, live, new=signal.id)
    tell_participant(caller.participant_id, signal)
    return {"ok": True, "pause": safety.own_signal_view(signal), "new": new}


@handler("pause:resolve", roles=("participant",))
def resolve_pause(caller: Caller, _data) -> dict:
    live = _open_live(caller.cohort_id)
    signal = safety.resolve(live, caller.participant_id)
    db.session.commit()
    announce_signals(caller.cohort_id, live)
    tell_participant(caller.participant_id, signal)
    return {"ok": True}


@handler("pause:acknowledge", roles=FACILITATOR)
def acknowledge_pause(caller: Caller, data) -> dict:
    live = _open_live(caller.cohort_id)
    signal = safety.acknowledge(live, data.signal, caller.user_id, data.reply)
    db.session.commit()
    announce_signals(caller.cohort_id, live)
    tell_participant(signal.participant_id, signal)
    return {"ok": True}


handler("break:start", FACILITATOR)(
    _command(
        lambda live, d, user_id: safety.start_break(live, d.version, d.seconds, d.breathe_in, d.breathe_out, user_id)
    )
)
handler("break:end", FACILITATOR)(_command(lambda live, d, user_id: safety.end_break(live, d.version, user_id)))


@handler("content_note:choose", roles=("participant",))
def choose_content_note(caller: Caller, data) -> dict:
    live = _open_live(caller.cohort_id)
    safety.choose(live, caller.participant_id, data.position, data.choice)
    # Skipping a content-noted exercise is sitting it out: nobody is put into a room they chose to skip.
    exercise = live.session_plan.steps[data.position].kind == "breakout"
    rooms = breakouts.sit_out(live, caller.participant_id, data.choice == "skip") if exercise else None
    db.session.commit()
    if rooms is not None:
        announce_rooms(caller.cohort_id, rooms, everyone=False)
    announce_skipped(caller.cohort_id, live.id, data.position)
    return {"ok": True, "choice": data.choice}


SKIPPED_DELAY_SECONDS = (2.0, 4.0)


def announce_skipped(cohort_id: int, live_id: int, position: int) -> None:
    """The team's count of who skipped a content-noted step: a few seconds after choices are made
    (at random), and only once at least k more people chose, never at the moment of one tap."""
    flag = f"skipped:{live_id}:{position}"
    if not coalescing.claim(flag, expires_seconds=10 * SKIPPED_DELAY_SECONDS[1]):
        return
    app = current_app._get_current_object()

    def push() -> None:
        socketio.sleep(_jitter.uniform(*SKIPPED_DELAY_SECONDS))
        with app.app_context():
            coalescing.release(flag)
            live = db.session.get(LiveSession, live_id)
            cohort = db.session.get(Cohort, cohort_id)
            threshold = max(MIN_REVEAL_THRESHOLD, cohort.organisation.poll_reveal_threshold)
            skipped = safety.update_skipped_figure(live, position, threshold)
            db.session.commit()
            if skipped is not None:
                figure = {"position": position, "skipped": skipped}
                socketio.emit("content_note:skipped", figure, to=team_of(cohort_id), namespace=NAMESPACE)

    socketio.start_background_task(push)


# ---- The journal's shared excerpts: the facilitator's moderation queue (journal text itself never travels here).


def announce_excerpts(cohort_id: int) -> None:
    """The pending excerpts, without author, to the facilitator team only."""
    queue = {"pending": journal.pending_excerpts(cohort_id)}
    socketio.emit("excerpt:queue", queue, to=team_of(cohort_id), namespace=NAMESPACE)


@handler("excerpt:approve", roles=FACILITATOR)
def approve_excerpt(caller: Caller, data) -> dict:
    ack = _command(lambda live, d, user_id: journal.approve_excerpt(live, d.version, d.excerpt, user_id))(caller, data)
    announce_excerpts(caller.cohort_id)
    return ack


@handler("excerpt:decline", roles=FACILITATOR)
def decline_excerpt(caller: Caller, data) -> dict:
    journal.decline_excerpt(caller.cohort_id, data.excerpt)
    db.session.commit()
    announce_excerpts(caller.cohort_id)
    return {"ok": True}
