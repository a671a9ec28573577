"""What each kind of client is shown of safety in the room: pause signals to the team (and each
person their own), the grounding break to everyone, content-note skips as a count only."""

from sqlalchemy import select

from extensions import db
from facilitation.models import Participant
from sessions.live.models import LiveSession
from sessions.live.operations import millis
from sessions.live.outline import outline_of
from sessions.safety.models import ContentNoteChoice, ContentNoteFigure, SafetySignal
from sessions.safety.operations import break_running, ongoing_signal


def signal_screen(signal: SafetySignal, live: LiveSession) -> dict:
    """A signal as facilitators see it: who, when, during which step, and any answer."""
    agenda = outline_of(live).agenda
    position = signal.step_position
    return {
        "id": signal.id,
        "name": signal.participant.display_name,
        "reason": signal.reason,
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
    return [signal_screen(signal, live) for signal in signals]


def own_signal_screen(signal: SafetySignal | None) -> dict | None:
    """What the participant sees of their own signal: no facilitator names beyond who answered."""
    if signal is None or signal.resolved_at is not None:
        return None
    return {
        "status": "acknowledged" if signal.acknowledged_at else "raised",
        "from": signal.acknowledged_by.name if signal.acknowledged_by else None,
        "reply": signal.reply,
    }


def break_screen(live: LiveSession | None) -> dict | None:
    """The break as every screen sees it; a break whose deadline passed is simply over."""
    if live is None or not break_running(live):
        return None
    return {
        "started_at": millis(live.break_started_at),
        "ends_at": millis(live.break_ends_at),
        "breathe_in": live.break_in_seconds,
        "breathe_out": live.break_out_seconds,
    }


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


def choices_of(live: LiveSession | None, participant_id: int) -> dict[str, str]:
    """The participant's own choices in this session, by step position, so that a reload keeps them."""
    if live is None:
        return {}
    # From the per-process outline: loading the plan's steps cost two statements on every snapshot.
    positions = {step_id: n for n, step_id in enumerate(outline_of(live).step_ids)}
    rows = db.session.scalars(
        select(ContentNoteChoice).where(
            ContentNoteChoice.live_session_id == live.id, ContentNoteChoice.participant_id == participant_id
        )
    )
    return {str(positions[row.step_id]): row.choice for row in rows if row.step_id in positions}


def private_state(live: LiveSession | None, participant: Participant) -> dict:
    """What only this participant sees about themselves: their pause signal and content-note choices."""
    signal = ongoing_signal(live, participant.id) if live is not None else None
    return {"pause": own_signal_screen(signal), "content_choices": choices_of(live, participant.id)}
