"""A session plan as a live session reads it: built once per process, never per change.

A plan's content never changes once imported (changed content is a new programme version), so
what every client's screen is sent, and the few facts commands check (how many steps, which step
is where), are read from the database once per plan and process.
"""

from dataclasses import dataclass
from functools import lru_cache

from extensions import db
from facilitation.models import SessionPlan, Step
from sessions.live.models import LiveSession

PUBLIC_SETTINGS = {
    "poll": ("kind", "options", "labels", "max_picks", "max_length"),
    "breakout": ("group_size", "minutes"),
    "measure": ("instrument", "short_name", "purpose", "stem", "scale", "items"),
}


def step_screen(step: Step, position: int, total: int) -> dict:
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
    """Read-only copies of a plan's header, agenda and steps, with each step's id and presenter notes."""

    week: int
    header: dict
    agenda: list[dict]
    steps: list[dict]
    notes: list[str]
    step_ids: list[int]


@lru_cache(maxsize=512)
def _outline(database: str, plan_id: int) -> Outline:
    plan = db.session.get_one(SessionPlan, plan_id)
    steps = plan.steps
    return Outline(
        week=plan.number,
        header={"week": plan.number, "title": plan.title, "duration": plan.duration_minutes},
        agenda=[{"position": n, "kind": s.kind, "title": s.title} for n, s in enumerate(steps)],
        steps=[step_screen(s, n, len(steps)) for n, s in enumerate(steps)],
        notes=[s.notes_html for s in steps],
        step_ids=[s.id for s in steps],
    )


def outline_of(live: LiveSession) -> Outline:
    return _outline(str(db.engine.url), live.session_plan_id)
