"""The plumbing every Socket.IO event, request and background task of a live session goes through.

An event's handler is a named function `(caller, payload, live)`: the plumbing has already
identified the caller (from what their connect established), spent their event budget, checked
their role and validated the payload against its schema. The handler calls operations (which
change rows and flush) and queues pushes; the plumbing then commits once and sends what was
queued (sessions/realtime/pushes.py). A refusal rolls back and sends nothing, so a bad request
changes nothing. `commit` is the same step for HTTP views and background tasks.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from flask import current_app, request
from limits import storage, strategies
from limits.errors import StorageError
from pydantic import ValidationError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from extensions import db, socketio
from refusals import Refusal
from sessions.live.operations import open_session_of
from sessions.realtime import pushes
from sessions.realtime.schemas import EVENTS, NAMESPACE, describe, error

log = logging.getLogger(__name__)

FACILITATOR = ("facilitator",)
PARTICIPANT = ("participant",)
EVERYONE = ("participant", "facilitator", "projector")


def commit() -> None:
    """Commit the change, then send what it queued (and hand back the connection a payload built on
    the way used). The only place Mend commits a live change."""
    db.session.commit()
    if pushes.send_queued():
        db.session.commit()


def rollback() -> None:
    db.session.rollback()
    pushes.discard()


class TimeBudget:
    """How long one person's handlers may keep this process busy: whatever they open (tabs, devices,
    reconnections), they share one, so a person who reconnects for a fresh connection gets no more
    time. What is counted is the CPU time of the process's thread from validation to the last push
    sent (the loop serves nobody else meanwhile, unless the handler waits for the database): not the
    wall clock, which a busy machine stretches for everyone alike, so that a participant on a loaded
    server is not refused for the machine's slowness. A participant may keep the process busy for
    half a second at once and a fiftieth of the time after that: their events cost a few
    milliseconds each, whatever the size of the group. The burst is what others feel: while one
    person's events run back to back, every other request waits for one of them at each step it
    yields (the event loop takes turns). A tenth of a second at once brought `/healthz` p99 from ten
    times idle to two or three (bench.worst_payload) but refused a participant's poll answer in a
    browser test on a loaded machine, when the budget counted the wall clock; it is half a second
    until a smaller burst is shown to refuse nobody. A facilitator's step change reaches everyone,
    so it costs more in a large group: the team may keep the process busy for half the time. One
    costly event can overdraw the bucket; the debt is repaid before the person's next event is
    answered (what one handler can cost is bounded by its input).

    Within the burst, a person's events are paced: after an event that kept the process busy for t,
    their next one starts no sooner than t × (1 / share − 1) later, so that one person's events never
    run back to back while others wait for their turn. A participant's share is a tenth: their
    ordinary events cost a millisecond or two, so the pause before the next is a few hundredths of a
    second, which nobody notices; twenty costly events sent at once are spread over ten times their
    cost instead of holding everyone else's requests for each of them (bench.worst_payload)."""

    # Seconds of handler time at once, and per second, by role.
    BUSY = {"participant": (0.5, 0.02), "facilitator": (2.0, 0.5), "projector": (2.0, 0.5)}
    # The share of the process one person's events may take while they are answered one after another.
    SHARE = {"participant": 0.1, "facilitator": 0.5, "projector": 0.5}

    __slots__ = ("busy", "burst", "per_second", "ready", "spacing", "updated")

    def __init__(self, role: str) -> None:
        self.burst, self.per_second = self.BUSY[role]
        self.spacing = 1 / self.SHARE[role] - 1
        self.busy = self.burst
        self.updated = time.monotonic()
        self.ready = self.updated

    def left(self) -> float:
        """Seconds the person may still take now (none, or a debt, when zero or less)."""
        moment = time.monotonic()
        self.busy = min(self.burst, self.busy + (moment - self.updated) * self.per_second)
        self.updated = moment
        return self.busy

    def charge(self, seconds: float) -> None:
        """Count what an answered event took, and when the person's next event may start."""
        self.busy -= seconds
        self.ready = time.monotonic() + seconds * self.spacing

    def wait(self) -> float:
        """Seconds before the person's next event may start."""
        return self.ready - time.monotonic()


class EventBudget:
    """How much more one connection may ask of this process now: a burst of clicks is fine, a flood
    is not, and neither is a stream of events that each keep the process busy.

    Events, per connection: 20 at once, refilled at 10 a second (600 a minute). Time, per person:
    their `TimeBudget`. An event is answered while both hold something.

    Only the process holding a socket ever sees its events, so the budget lives beside the socket
    in this process and goes with it; limits shared between processes (pause requests, sign-in
    attempts) use `within`. A shared store here cost a Redis round trip on every event, and the
    in-memory store started a thread a hundred times a second to expire keys."""

    BURST = 20
    PER_SECOND = 10
    # Seconds before a refusal is answered: a client that waits for its answers (as Socket.IO
    # clients do) cannot make the process refuse it hundreds of times a second.
    REFUSAL_DELAY = 1.0

    __slots__ = ("time", "tokens", "updated")

    def __init__(self, time_budget: TimeBudget) -> None:
        self.time = time_budget
        self.tokens = float(self.BURST)
        self.updated = time.monotonic()

    def spend(self) -> bool:
        moment = time.monotonic()
        self.tokens = min(self.BURST, self.tokens + (moment - self.updated) * self.PER_SECOND)
        self.updated = moment
        if self.tokens < 1 or self.time.left() <= 0:
            return False
        self.tokens -= 1
        return True

    def charge(self, seconds: float) -> None:
        self.time.charge(seconds)


class Person:
    """What all of one person's sockets on this process share: the time budget, and the turn (one
    event of a person is handled at a time, in the order they came: twenty sent together would
    otherwise all start on a full budget, and keep everyone else waiting meanwhile)."""

    __slots__ = ("sockets", "time", "turn")

    def __init__(self, role: str) -> None:
        self.time = TimeBudget(role)
        self.turn = threading.Lock()
        self.sockets = 0


# Each person with a socket on this process, and those without whose time budget is still refilling
# (so that reconnecting does not refill it): a few hundred bytes a person.
_people: dict[tuple, Person] = {}


@dataclass(slots=True)
class Caller:
    """Who is at the other end of a socket, as established when it connected (a socket never changes
    cohort, role or person), with its event budget. The `connection` table records the same for
    presence, across processes; this copy saves a database read on every event."""

    cohort_id: int
    role: str
    participant_id: int | None
    user_id: int | None
    person: Person = field(init=False)
    budget: EventBudget = field(init=False)

    def __post_init__(self) -> None:
        self.person = _people.get(self.who) or _people.setdefault(self.who, Person(self.role))
        self.budget = EventBudget(self.person.time)

    @property
    def who(self) -> tuple:
        """The person spending the budget: a participant, a signed-in user, or a cohort's paired screen."""
        if self.participant_id is not None:
            return ("participant", self.participant_id)
        if self.user_id is not None:
            return (self.role, self.user_id)
        return (self.role, self.cohort_id)

    @property
    def turn(self) -> threading.Lock:
        return self.person.turn

    # A facilitator's or projector's socket carries a user and a participant's a participant, never
    # both: a handler registered for one role reads its person here, and the other role is refused.
    @property
    def signed_in_user_id(self) -> int:
        if self.user_id is None:
            raise Refusal("forbidden")
        return self.user_id

    @property
    def joined_participant_id(self) -> int:
        if self.participant_id is None:
            raise Refusal("forbidden")
        return self.participant_id


# Every socket this process holds, from its accepted connect to its disconnect.
_callers: dict[str, Caller] = {}


def held() -> list[tuple[str, Caller]]:
    """Every socket this process holds, with its caller."""
    return list(_callers.items())


def register(sid: str, caller: Caller) -> None:
    _callers[sid] = caller
    caller.person.sockets += 1
    if len(_people) > 2 * len(_callers) + 100:
        # People without a socket whose budget has refilled need no entry: a new one starts full too.
        for who, person in list(_people.items()):
            if person.sockets <= 0 and person.time.left() >= person.time.burst:
                del _people[who]


def forget(sid: str) -> None:
    caller = _callers.pop(sid, None)
    if caller is not None:
        caller.person.sockets -= 1
        if caller.person.sockets <= 0 and caller.person.time.left() >= caller.person.time.burst:
            _people.pop(caller.who, None)


_limiters: tuple[strategies.SlidingWindowCounterRateLimiter, strategies.SlidingWindowCounterRateLimiter] | None = None


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


def within(limits: tuple, *identifiers: str) -> bool:
    """Count one hit against each of `limits` for `identifiers`, in the store every process shares."""
    shared, own = _rate_limiters()
    key = (current_app.config["MEND_REDIS_PREFIX"], *identifiers)
    try:
        return all(shared.hit(limit, *key) for limit in limits)
    except StorageError:
        log.warning("rate-limit store unreachable; counting in this process meanwhile")
        return all(own.hit(limit, *key) for limit in limits)


# Who may send each event, as its handler was registered.
ROLES: dict[str, tuple[str, ...]] = {}


def handler(event: str, roles: tuple[str, ...], live: bool = False) -> Callable:
    """Register `event` for callers in `roles`. The function gets (caller, payload) and, with
    `live=True`, the cohort's open live session as a third argument (refused with `no_session` when
    there is none); it returns the acknowledgement. The plumbing commits and sends its pushes."""
    schema = EVENTS[event]
    ROLES[event] = roles

    def decorate(function: Callable) -> Callable:
        def answer(caller: Caller, arguments: tuple) -> dict:
            """Check the role and the payload, run the handler, commit and send: its acknowledgement."""
            if len(arguments) > 1:
                return error("bad_payload", "That request carried more than one payload, so nothing changed.")
            if caller.role not in roles:
                return error("forbidden")
            try:
                payload = schema.model_validate({} if not arguments or arguments[0] is None else arguments[0])
            except ValidationError as failure:
                return error("bad_payload", describe(failure))
            try:
                if live:
                    session = open_session_of(caller.cohort_id)
                    if session is None:
                        raise Refusal("no_session")
                    ack = function(caller, payload, session)
                else:
                    ack = function(caller, payload)
                commit()
                return ack
            except Refusal as refusal:
                rollback()
                return error(refusal.code, refusal.message, **_refusal_extra(refusal, caller))
            except PoolTimeout:
                # No database connection came free in time (a crowd arriving): nothing changed, and the
                # client asks again in a moment, as a page answered "busy" loads again by itself.
                rollback()
                log.warning("%s: no database connection free within the pool's timeout", event)
                return error(
                    "busy", "The server is busy with many people arriving, so nothing changed. Try again in a moment."
                )
            except Exception:
                rollback()
                log.exception("%s failed", event)
                return error("server_error")

        @socketio.on(event, namespace=NAMESPACE)
        @wraps(function)
        def wrapper(*arguments):
            caller = _callers.get(request.sid)
            if caller is None:
                return error("not_allowed")
            with caller.turn:
                if (pause := caller.person.time.wait()) > 0:
                    socketio.sleep(pause)  # type: ignore[arg-type]  # any seconds; the stubs say int
                if caller.budget.spend():
                    started = time.thread_time()
                    try:
                        return answer(caller, arguments)
                    finally:
                        caller.budget.charge(time.thread_time() - started)
            socketio.sleep(EventBudget.REFUSAL_DELAY)  # type: ignore[arg-type]  # any seconds; the stubs say int
            return error("rate_limited")

        return wrapper

    return decorate


def _refusal_extra(refusal: Refusal, caller: Caller) -> dict:
    # A command based on an old version gets where the session is now, so the console can catch up.
    if refusal.code != "stale_version":
        return {}
    from sessions.live.screens import state_for

    state = state_for(caller)
    db.session.commit()
    return {"state": state}


def background(task: Callable, *arguments, delay: float = 0.0) -> None:
    """Run `task(*arguments)` in the background, `delay` seconds from now, in its own transaction:
    committed, then its pushes sent; on failure rolled back and logged."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy, typed by Flask as the app

    def run() -> None:
        if delay:
            socketio.sleep(delay)  # type: ignore[arg-type]  # any seconds; the stubs say int
        with app.app_context():
            try:
                task(*arguments)
                commit()
            except Exception:
                rollback()
                log.exception("background task %s failed", task.__name__)

    socketio.start_background_task(run)


@socketio.on("*", namespace=NAMESPACE)
def unknown_event(_event, *_arguments):
    return error("unknown_event")
