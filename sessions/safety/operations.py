"""Safety in the room: the private "I need a pause" signal, the grounding break and content-note choices.

Pause signals and content-note choices are private to the cohort's facilitators
(and to the participant concerned): they live in their own tables and never bump
the live session's version, since every version change reaches the whole room.
The grounding break is for everyone, so it is part of the state of record: a
deadline on the `LiveSession`, entered from the snapshot by late arrivals.
Functions here change the session and flush; the handler commits.
"""

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from refusals import Refusal
from sessions.breakouts import operations as breakouts
from sessions.breakouts.models import BreakoutRound
from sessions.live.models import LiveSession
from sessions.live.operations import begin, clear_break, now, record
from sessions.live.outline import outline_of
from sessions.safety.models import REPLY_MAX, ContentNoteChoice, ContentNoteFigure, SafetySignal

BREAK_SECONDS = (30, 30 * 60)
BREATHE_IN_SECONDS = (2, 10)
BREATHE_OUT_SECONDS = (2, 12)


# "I need a pause"


def ongoing_signal(live: LiveSession, participant_id: int) -> SafetySignal | None:
    return db.session.scalar(
        select(SafetySignal).where(
            SafetySignal.live_session_id == live.id, SafetySignal.ongoing_participant_id == participant_id
        )
    )


def raise_signal(live: LiveSession, participant_id: int, reason: str = "pause") -> tuple[SafetySignal | None, bool]:
    """The participant's ongoing signal, raised now unless one is already ongoing; and whether it is new.
    None if another device's tap raised it at the same moment and it was resolved since."""
    if live.status == "ended":
        raise Refusal("no_session")
    signal = ongoing_signal(live, participant_id)
    if signal is not None:
        return signal, False
    signal = SafetySignal(
        live_session_id=live.id,
        participant_id=participant_id,
        ongoing_participant_id=participant_id,
        reason=reason,
        step_position=live.position if live.status == "live" else None,
        raised_at=now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(signal)
    except IntegrityError:
        # Two devices of one person tapped at the same moment: the other tap made the signal.
        return ongoing_signal(live, participant_id), False
    return signal, True


def acknowledge(live: LiveSession, signal_id: int, user_id: int, reply: str | None) -> SafetySignal:
    """A facilitator has seen the signal; `reply` is a short private message to its participant."""
    signal = db.session.get(SafetySignal, signal_id)
    # Another cohort's or another session's signal is answered as if it did not exist.
    if signal is None or signal.live_session_id != live.id:
        raise Refusal("no_signal")
    if signal.resolved_at is not None:
        raise Refusal("signal_resolved")
    reply = " ".join((reply or "").split())[:REPLY_MAX] or None
    signal.acknowledged_by_id, signal.acknowledged_at = user_id, now()
    if reply is not None:
        signal.reply = reply
    db.session.flush()
    return signal


def resolve(live: LiveSession, participant_id: int) -> SafetySignal:
    """The participant says "I'm OK now"."""
    signal = ongoing_signal(live, participant_id)
    if signal is None:
        raise Refusal("no_signal")
    signal.resolved_at, signal.ongoing_participant_id = now(), None
    db.session.flush()
    return signal


# The grounding break


def start_break(
    live: LiveSession, seen_version: int, seconds: int, breathe_in: int, breathe_out: int, user_id: int
) -> None:
    begin(live, seen_version, "lobby", "live")
    if break_running(live):
        raise Refusal("break_running")
    if not (
        BREAK_SECONDS[0] <= seconds <= BREAK_SECONDS[1]
        and BREATHE_IN_SECONDS[0] <= breathe_in <= BREATHE_IN_SECONDS[1]
        and BREATHE_OUT_SECONDS[0] <= breathe_out <= BREATHE_OUT_SECONDS[1]
    ):
        raise Refusal("bad_break")
    live.break_started_at = now()
    live.break_ends_at = live.break_started_at + timedelta(seconds=seconds)
    live.break_in_seconds, live.break_out_seconds = breathe_in, breathe_out
    record(live, seen_version, "break_start", user_id)


def end_break(live: LiveSession, seen_version: int, user_id: int) -> None:
    begin(live, seen_version, "lobby", "live")
    if not break_running(live):
        raise Refusal("no_break")
    clear_break(live)
    record(live, seen_version, "break_end", user_id)


def break_running(live: LiveSession) -> bool:
    return live.break_ends_at is not None and live.break_ends_at > now()


# Content notes


def choose(live: LiveSession, participant_id: int, position: int, choice: str) -> BreakoutRound | None:
    """Record "continue" or "skip" for the content-noted step on screen. Skipping a content-noted
    exercise is sitting it out: nobody is put into a room they chose to skip (the round whose seats
    that changed is returned)."""
    begin(live, live.version, "live")
    if position != live.position:
        raise Refusal("invalid_step", "That step is no longer on screen.")
    step = live.session_plan.steps[position]
    if not step.content_note:
        raise Refusal("no_content_note")
    made = db.session.scalar(
        select(ContentNoteChoice).where(
            ContentNoteChoice.live_session_id == live.id,
            ContentNoteChoice.step_id == step.id,
            ContentNoteChoice.participant_id == participant_id,
        )
    )
    if made is None:
        db.session.add(
            ContentNoteChoice(live_session_id=live.id, step_id=step.id, participant_id=participant_id, choice=choice)
        )
    else:
        made.choice = choice
    db.session.flush()
    if step.kind == "breakout":
        return breakouts.sit_out(live, participant_id, choice == "skip")
    return None


def update_skipped_figure(live: LiveSession, position: int, threshold: int) -> int | None:
    """Move the team's figure of who skipped step `position` on, if at least `threshold` (k) people
    chose since it was last shown; return the new figure, or None when it stays as it was. Between two
    figures at least k choices were made, so a change cannot be pinned on one of them."""
    step_id = outline_of(live).step_ids[position]
    rows = db.session.execute(
        select(ContentNoteChoice.choice, func.count())
        .where(ContentNoteChoice.live_session_id == live.id, ContentNoteChoice.step_id == step_id)
        .group_by(ContentNoteChoice.choice)
    ).all()
    counts = dict(rows)
    choices = sum(counts.values())
    figure = db.session.get(ContentNoteFigure, (live.id, step_id))
    if figure is None:
        figure = ContentNoteFigure(live_session_id=live.id, step_id=step_id, choices=0, skipped=0)
        db.session.add(figure)
    if choices - figure.choices < threshold:
        return None
    figure.choices, figure.skipped = choices, counts.get("skip", 0)
    db.session.flush()
    return figure.skipped
