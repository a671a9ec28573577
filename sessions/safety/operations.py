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
from facilitation.models import Participant
from refusals import Refusal
from sessions.breakouts import operations as breakouts
from sessions.breakouts.models import BreakoutRound
from sessions.live.models import LiveSession
from sessions.live.operations import begin, clear_break, millis, now, record
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


def raise_signal(live: LiveSession, participant_id: int) -> tuple[SafetySignal | None, bool]:
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


def signal_view(signal: SafetySignal, live: LiveSession) -> dict:
    """A signal as facilitators see it: who, when, during which step, and any answer."""
    agenda = outline_of(live).agenda
    position = signal.step_position
    return {
        "id": signal.id,
        "name": signal.participant.display_name,
        "raised_at": millis(signal.raised_at),
        "step": {"number": position + 1, "title": agenda[position]["title"]} if position is not None else None,
        "acknowledged_by": signal.acknowledged_by.name if signal.acknowledged_by else None,
        "acknowledged_at": millis(signal.acknowledged_at),
        "reply": signal.reply,
        "resolved_at": millis(signal.resolved_at),
    }


def signals_of(live: LiveSession | None) -> list[dict]:
    """Every signal of the session, ongoing ones first, newest first within each."""
    if live is None:
        return []
    signals = db.session.scalars(
        select(SafetySignal)
        .where(SafetySignal.live_session_id == live.id)
        .order_by(SafetySignal.resolved_at.is_not(None), SafetySignal.raised_at.desc())
    )
    return [signal_view(signal, live) for signal in signals]


def own_signal_view(signal: SafetySignal | None) -> dict | None:
    """What the participant sees of their own signal: no facilitator names beyond who answered."""
    if signal is None or signal.resolved_at is not None:
        return None
    return {
        "status": "acknowledged" if signal.acknowledged_at else "raised",
        "from": signal.acknowledged_by.name if signal.acknowledged_by else None,
        "reply": signal.reply,
    }


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


def break_view(live: LiveSession | None) -> dict | None:
    """The break as every screen sees it; a break whose deadline passed is simply over."""
    if live is None or not break_running(live):
        return None
    return {
        "started_at": millis(live.break_started_at),
        "ends_at": millis(live.break_ends_at),
        "breathe_in": live.break_in_seconds,
        "breathe_out": live.break_out_seconds,
    }


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


def skipped_count(live: LiveSession | None) -> int | None:
    """How many skipped the step on screen (never who), as last shown to the team; None when it has
    no content note."""
    if live is None or live.status != "live":
        return None
    outline = outline_of(live)
    if not outline.steps[live.position]["content_note"]:
        return None
    figure = db.session.get(ContentNoteFigure, (live.id, outline.step_ids[live.position]))
    return figure.skipped if figure is not None else 0


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


def choices_of(live: LiveSession | None, participant_id: int) -> dict[str, str]:
    """The participant's own choices in this session, by step position, so that a reload keeps them."""
    if live is None:
        return {}
    positions = {step.id: n for n, step in enumerate(live.session_plan.steps)}
    rows = db.session.scalars(
        select(ContentNoteChoice).where(
            ContentNoteChoice.live_session_id == live.id, ContentNoteChoice.participant_id == participant_id
        )
    )
    return {str(positions[row.step_id]): row.choice for row in rows if row.step_id in positions}


def private_state(live: LiveSession | None, participant: Participant) -> dict:
    """What only this participant sees about themselves: their pause signal and content-note choices."""
    signal = ongoing_signal(live, participant.id) if live is not None else None
    return {"pause": own_signal_view(signal), "content_choices": choices_of(live, participant.id)}
