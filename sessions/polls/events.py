"""Socket.IO events of anonymous polls: open, answer, close, moderate, reveal, and the background
work that counts answers in batches.

An answer is acknowledged as received at once and counted later, with others
(sessions/polls/ballots.py). Nothing anyone else is shown changes at the moment of one person's tap:
the count of who responded goes out after a random delay, and results change only when a batch is
counted.
"""

import json
import random
import time

from extensions import db, socketio
from sessions import scrub
from sessions.journal import trends
from sessions.live import presence
from sessions.live.models import LiveSession
from sessions.live.screens import moved
from sessions.measures import operations as shared_trends
from sessions.measures.events import announce_measures, announce_shared
from sessions.polls import operations as polls
from sessions.polls.models import Poll
from sessions.polls.schemas import PollAnswer, PollModerate, PollOpen
from sessions.polls.screens import poll_screen, progress
from sessions.realtime import coalescing, pushes
from sessions.realtime.payloads import Versioned
from sessions.realtime.plumbing import FACILITATOR, PARTICIPANT, Caller, background, commit, handler, rollback
from sessions.realtime.rooms import own_room, room_of, team_of

PROGRESS_DELAY_SECONDS = (0.5, 1.5)
BATCH_DELAY_SECONDS = (1.0, 2.0)
CLOSE_WAIT_SECONDS = 5
_jitter = random.SystemRandom()
# Poll id -> until when this process knows that a count of its ballot box (or a push of its progress)
# is already scheduled: a burst of answers then costs no round trip to Redis each.
_count_scheduled: dict[int, float] = {}
_progress_scheduled: dict[int, float] = {}


@handler("poll:open", FACILITATOR, live=True)
def open_poll(caller: Caller, payload: PollOpen, live: LiveSession) -> dict:
    polls.open_poll(live, payload.version, caller.signed_in_user_id, payload.quick)
    return moved(caller.cohort_id, live)


def wait_for_batches(live: LiveSession) -> None:
    """Before a close: let a batch another process is counting commit first, so that the close counts
    whatever remains and nothing taken is left out. A session without a poll on screen costs nothing;
    while waiting the connection goes back (and `live` is read again afterwards)."""
    poll_id = live.active_poll_id
    if poll_id is None or not polls.batch_in_progress(poll_id):
        return
    rollback()
    deadline = time.monotonic() + CLOSE_WAIT_SECONDS
    while polls.batch_in_progress(poll_id) and time.monotonic() < deadline:
        socketio.sleep(0.05)  # type: ignore[arg-type]  # any seconds; the stubs say int


@handler("poll:close", FACILITATOR, live=True)
def close_poll(caller: Caller, payload: Versioned, live: LiveSession) -> dict:
    wait_for_batches(live)
    after_close(*polls.close_poll(live, payload.version, caller.signed_in_user_id))
    return moved(caller.cohort_id, live)


@handler("poll:reveal", FACILITATOR, live=True)
def reveal_results(caller: Caller, payload: Versioned, live: LiveSession) -> dict:
    polls.reveal_results(live, payload.version, caller.signed_in_user_id)
    return moved(caller.cohort_id, live)


def after_close(poll: Poll | None, outcomes: list[polls.Outcome]) -> None:
    """Once a close is committed: tell each person whose answer was counted in it, then scrub the files."""
    if poll is None:
        return
    tell_counted(poll.id, outcomes)
    if poll.kind == "measure":
        announce_measures(db.session.get_one(LiveSession, poll.live_session_id).cohort_id)
    pushes.after_commit(lambda: scrub.soon(scrub.POLL_TABLES))


def tell_counted(poll_id: int, outcomes: list[polls.Outcome]) -> None:
    """Each person's own devices, and nobody else's, learn that their answer was counted (with the
    receipt that lets them change it) or why it could not be."""
    for outcome in outcomes:
        message: dict = {"poll": poll_id, "received": outcome.ballot.nonce}
        if outcome.receipt is not None:
            message["receipt"] = outcome.receipt
        elif outcome.refusal is not None:
            message["error"] = {"code": outcome.refusal.code, "message": outcome.refusal.message}
        pushes.queue("poll:counted", message, to=own_room(outcome.ballot.participant_id))


@handler("poll:moderate", FACILITATOR, live=True)
def moderate_poll(caller: Caller, payload: PollModerate, live: LiveSession) -> dict:
    poll = polls.moderate(live, payload.target, payload.hidden)
    pushes.queue("poll:results", poll_screen(poll, for_team=True), to=team_of(caller.cohort_id))
    return {"ok": True}


@handler("poll:answer", PARTICIPANT)
def answer_poll(caller: Caller, payload: PollAnswer) -> dict:
    previous = payload.previous.model_dump() if payload.previous else None
    receipt = polls.receive_answer(
        caller.cohort_id, caller.joined_participant_id, payload.poll, payload.answer.as_dict(), previous
    )
    facts = polls.facts_of(payload.poll)
    if facts is not None and facts.kind == "measure":
        # The person's own copy, sealed in their journal (or forgotten when they choose not to keep it).
        kept = json.loads(receipt["choice"]) if payload.keep else {"pass": True}
        trends.keep(caller.joined_participant_id, payload.poll, polls.week_of(payload.poll), facts.settings, kept)
        if shared_trends.refresh_shared(caller.joined_participant_id):
            announce_shared(caller.cohort_id)
    schedule_count(caller.cohort_id, payload.poll)
    announce_progress(caller.cohort_id, payload.poll)
    return {"ok": True, "counted": False, "receipt": receipt}


def schedule_count(cohort_id: int, poll_id: int) -> None:
    """Make sure the poll's ballot box is looked at soon (by one process), and a batch counted if due."""
    moment = time.monotonic()
    if _count_scheduled.get(poll_id, 0) > moment:
        return
    _count_scheduled[poll_id] = moment + BATCH_DELAY_SECONDS[1]
    flag = f"ballots:{poll_id}"
    # One count at a time across processes: the flag is held until the batch is committed.
    if coalescing.claim(flag, expires_seconds=30):
        background(_count_batch, cohort_id, poll_id, flag, delay=_jitter.uniform(*BATCH_DELAY_SECONDS))


def _count_batch(cohort_id: int, poll_id: int, flag: str) -> None:
    _count_scheduled.pop(poll_id, None)
    try:
        poll, outcomes = polls.count_batch(poll_id)
        tell_counted(poll_id, outcomes)
        if outcomes and poll is not None and poll.status == "open":
            queue_results(cohort_id, poll)
        # Committed here, before the batch's mark goes: a close waiting for it then finds it counted.
        commit()
    finally:
        polls.batch_done(poll_id)
        coalescing.release(flag)
    if poll is not None and poll.status == "open" and polls.due_batch(poll):
        schedule_count(cohort_id, poll_id)


def announce_progress(cohort_id: int, poll_id: int) -> None:
    """How many have responded, to the room and the team: once per moment however fast answers
    arrive, and after a random delay, so that no push can be timed to a tap."""
    moment = time.monotonic()
    if _progress_scheduled.get(poll_id, 0) > moment:
        return
    _progress_scheduled[poll_id] = moment + PROGRESS_DELAY_SECONDS[0]
    flag = f"poll-progress:{poll_id}"
    if coalescing.claim(flag, expires_seconds=10 * PROGRESS_DELAY_SECONDS[1]):
        background(_queue_progress, cohort_id, poll_id, flag, delay=_jitter.uniform(*PROGRESS_DELAY_SECONDS))


def _progress_of(cohort_id: int, poll: Poll) -> dict:
    return {**progress(poll), "of": presence.online_count(cohort_id)}


def _queue_progress(cohort_id: int, poll_id: int, flag: str) -> None:
    # Released before reading, so an answer received after this read schedules the next push.
    coalescing.release(flag)
    counts = _progress_of(cohort_id, db.session.get_one(Poll, poll_id))
    pushes.queue("poll:progress", counts, to=room_of(cohort_id))
    pushes.queue("poll:progress", counts, to=team_of(cohort_id))


def queue_results(cohort_id: int, poll: Poll) -> None:
    """After a batch was counted: the team's live results, and the count of who responded to everyone."""
    counts = _progress_of(cohort_id, poll)
    pushes.queue("poll:progress", counts, to=room_of(cohort_id))
    pushes.queue("poll:progress", counts, to=team_of(cohort_id))
    pushes.queue("poll:results", poll_screen(poll, for_team=True), to=team_of(cohort_id))
