"""What each kind of client is shown of a cohort's live session, built from the database alone.

The room (participants and projector) gets the public state; facilitators get it
with presenter notes, the next step and who is present. Nothing here is private
to one participant.
"""

from dataclasses import dataclass
from functools import lru_cache

from extensions import db
from facilitation.cohorts import next_meeting
from facilitation.models import Cohort, SessionPlan, Step
from sessions import breakouts, journal
from sessions.engine import millis, now
from sessions.models import LiveSession
from sessions.polls import active_poll, poll_view
from sessions.presence import online_count, presence_of
from sessions.safety import break_view, signals_of, skipped_count

PUBLIC_SETTINGS = {
    "poll": ("kind", "options", "labels", "max_picks", "max_length"),
    "breakout": ("group_size", "minutes"),
}


def step_view(step: Step, position: int, total: int) -> dict:
    settings = {k: v for k, v in step.settings.items() if k in PUBLIC_SETTINGS.get(step.kind, ())}
    return {
        "position": position,
        "number": position + 1,
        "total": total,
        "kind": step.kind,
        "title": step.title,
        "html": step.body_html,
        "content_note": step.content_note,
        "settings": settings,
    }


@dataclass(frozen=True)
class Outline:
    """What a session plan shows, built once: read-only views of its header, agenda and steps."""

    header: dict
    agenda: list[dict]
    steps: list[dict]
    notes: list[str]


@lru_cache(maxsize=512)
def _outline(database: str, plan_id: int) -> Outline:
    plan = db.session.get(SessionPlan, plan_id)
    steps = plan.steps
    return Outline(
        header={"week": plan.number, "title": plan.title, "duration": plan.duration_minutes},
        agenda=[{"position": n, "kind": s.kind, "title": s.title} for n, s in enumerate(steps)],
        steps=[step_view(s, n, len(steps)) for n, s in enumerate(steps)],
        notes=[s.notes_html for s in steps],
    )


def outline_of(live: LiveSession) -> Outline:
    """A session plan's content never changes once imported (changed content is a new programme
    version), so each process builds its views once instead of on every change of every session."""
    return _outline(str(db.engine.url), live.session_plan_id)


def public_state(cohort: Cohort, live: LiveSession | None) -> dict:
    """The state every participant and the projector may see."""
    state = {
        "cohort": {"name": cohort.name, "facilitators": [f.name for f in cohort.facilitators]},
        "server_time": millis(now()),
        "version": 0,
        "status": "idle",
        "online": online_count(cohort.id),
    }
    if live is None:
        meeting = next_meeting(cohort)
        state["next_meeting"] = (
            {"week": meeting.week, "starts_at": millis(meeting.starts_at), "timezone": cohort.timezone}
            if meeting
            else None
        )
        return state
    outline = outline_of(live)
    state.update(
        version=live.version,
        status=live.status,
        session={"id": live.id, **outline.header},
        agenda=outline.agenda,
        timer=(
            {"started_at": millis(live.timer_started_at), "ends_at": millis(live.timer_ends_at)}
            if live.timer_ends_at
            else None
        ),
        step=outline.steps[live.position] if live.status == "live" else None,
        poll=poll_view(active_poll(live), for_team=False),
        breakout=breakouts.public_view(breakouts.current_round(live)) if live.status == "live" else None,
        # The grounding break covers the step on record, which it never changes.
        grounding_break=break_view(live),
        # Journal excerpts their authors shared and a facilitator approved for this session (no names).
        shared=journal.shared_in(live),
    )
    return state


def team_state(cohort: Cohort, live: LiveSession | None, public: dict | None = None) -> dict:
    """The public state (built here unless given) plus what only facilitators see."""
    state = dict(public if public is not None else public_state(cohort, live))
    state["presence"] = presence_of(cohort.id, live)
    # The journal, as facilitators know it: a count for the week and excerpts awaiting moderation, no names.
    week, writers = journal.writers_this_week(cohort)
    state["journal"] = {"week": week, "writers": writers}
    state["excerpts"] = journal.pending_excerpts(cohort.id)
    if live is not None:
        state["poll"] = poll_view(active_poll(live), for_team=True)
        if live.status == "live":
            state["breakout"] = breakouts.team_view(breakouts.current_round(live), state["presence"])
        # Pause signals and how many skipped a content note: for the cohort's facilitators only.
        state["safety"] = {"signals": signals_of(live), "skipped": skipped_count(live)}
    if live is not None and live.status != "ended":
        outline = outline_of(live)
        state["notes_html"] = outline.notes[live.position] if live.status == "live" else ""
        upcoming = live.position + 1 if live.status == "live" else 0
        state["preview"] = outline.steps[upcoming] if upcoming < len(outline.steps) else None
        if live.status == "lobby":
            state["preview_notes_html"] = outline.notes[0]
    return state
