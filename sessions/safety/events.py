"""Socket.IO events of safety in the room: the private pause signal, the grounding break, content notes.

Pause signals and content-note choices go to the team room and to the participant's own room only;
they never bump the version, because a state push reaches the whole room.
"""

import random

from limits import RateLimitItemPerMinute

from extensions import db
from facilitation.models import Cohort
from facilitation.models.organisations import MIN_REVEAL_THRESHOLD
from refusals import Refusal
from sessions.breakouts.events import announce_rooms
from sessions.live.models import LiveSession
from sessions.live.screens import moved
from sessions.realtime import coalescing, pushes
from sessions.realtime.payloads import Empty, Versioned
from sessions.realtime.plumbing import FACILITATOR, PARTICIPANT, Caller, background, handler, within
from sessions.realtime.rooms import own_room, team_of
from sessions.safety import operations as safety
from sessions.safety.models import SafetySignal
from sessions.safety.schemas import BreakStart, ContentNoteChoose, PauseAcknowledge
from sessions.safety.screens import own_signal_screen, signals_of

# Per participant, across their devices: a few taps are heard, a flood is not.
PAUSE_LIMITS = (RateLimitItemPerMinute(5),)
SKIPPED_DELAY_SECONDS = (2.0, 4.0)
_jitter = random.SystemRandom()


def announce_signals(cohort_id: int, live: LiveSession, new: int | None = None) -> None:
    """Every facilitator of the cohort, whichever is presenting, gets the session's signals; `new` is one to alert."""
    signals = {"signals": signals_of(live), "new": new}
    pushes.queue("safety:signals", signals, to=team_of(cohort_id))


def tell_participant(participant_id: int, signal: SafetySignal | None) -> None:
    """The participant's own devices, and no one else's, learn how their pause request stands."""
    status = own_signal_screen(signal) or {"status": "resolved", "from": None, "reply": None}
    pushes.queue("pause:status", status, to=own_room(participant_id))


def ask_for_pause(
    cohort_id: int, live: LiveSession, participant_id: int, reason: str = "pause"
) -> tuple[SafetySignal | None, bool]:
    """ "I need a pause", from the live view (the event below) or a journal page (a post, in routes.py):
    the same signal to the same team, queued to be sent once the caller commits; and whether it is new."""
    if not within(PAUSE_LIMITS, "pause", str(participant_id)):
        raise Refusal(
            "rate_limited",
            "Your facilitators already have your request for a pause. Give them a moment before asking again.",
        )
    signal, new = safety.raise_signal(live, participant_id, reason)
    if new and signal is not None:
        announce_signals(cohort_id, live, new=signal.id)
    tell_participant(participant_id, signal)
    return signal, new


def say_ok_now(cohort_id: int, live: LiveSession, participant_id: int) -> None:
    """ "I'm OK now", from the live view or a journal page."""
    signal = safety.resolve(live, participant_id)
    announce_signals(cohort_id, live)
    tell_participant(participant_id, signal)


@handler("pause:raise", PARTICIPANT, live=True)
def raise_pause(caller: Caller, _payload: Empty, live: LiveSession) -> dict:
    signal, new = ask_for_pause(caller.cohort_id, live, caller.joined_participant_id)
    return {"ok": True, "pause": own_signal_screen(signal), "new": new}


@handler("pause:resolve", PARTICIPANT, live=True)
def resolve_pause(caller: Caller, _payload: Empty, live: LiveSession) -> dict:
    say_ok_now(caller.cohort_id, live, caller.joined_participant_id)
    return {"ok": True}


@handler("pause:acknowledge", FACILITATOR, live=True)
def acknowledge_pause(caller: Caller, payload: PauseAcknowledge, live: LiveSession) -> dict:
    signal = safety.acknowledge(live, payload.signal, caller.signed_in_user_id, payload.reply)
    announce_signals(caller.cohort_id, live)
    tell_participant(signal.participant_id, signal)
    return {"ok": True}


@handler("break:start", FACILITATOR, live=True)
def start_break(caller: Caller, payload: BreakStart, live: LiveSession) -> dict:
    safety.start_break(
        live, payload.version, payload.seconds, payload.breathe_in, payload.breathe_out, caller.signed_in_user_id
    )
    return moved(caller.cohort_id, live)


@handler("break:end", FACILITATOR, live=True)
def end_break(caller: Caller, payload: Versioned, live: LiveSession) -> dict:
    safety.end_break(live, payload.version, caller.signed_in_user_id)
    return moved(caller.cohort_id, live)


@handler("content_note:choose", PARTICIPANT, live=True)
def choose_content_note(caller: Caller, payload: ContentNoteChoose, live: LiveSession) -> dict:
    rooms = safety.choose(live, caller.joined_participant_id, payload.position, payload.choice)
    if rooms is not None:
        announce_rooms(caller.cohort_id, rooms, everyone=False)
    announce_skipped(caller.cohort_id, live.id, payload.position)
    return {"ok": True, "choice": payload.choice}


def announce_skipped(cohort_id: int, live_id: int, position: int) -> None:
    """The team's count of who skipped a content-noted step: a few seconds after choices are made
    (at random), and only once at least k more people chose, never at the moment of one tap."""
    flag = f"skipped:{live_id}:{position}"
    if coalescing.claim(flag, expires_seconds=10 * SKIPPED_DELAY_SECONDS[1]):
        background(_queue_skipped, cohort_id, live_id, position, flag, delay=_jitter.uniform(*SKIPPED_DELAY_SECONDS))


def _queue_skipped(cohort_id: int, live_id: int, position: int, flag: str) -> None:
    coalescing.release(flag)
    live = db.session.get_one(LiveSession, live_id)
    cohort = db.session.get_one(Cohort, cohort_id)
    threshold = max(MIN_REVEAL_THRESHOLD, cohort.organisation.poll_reveal_threshold)
    skipped = safety.update_skipped_figure(live, position, threshold)
    if skipped is not None:
        pushes.queue("content_note:skipped", {"position": position, "skipped": skipped}, to=team_of(cohort_id))
