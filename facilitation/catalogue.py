"""Puts loaded programmes into the database, as new versions when their content changed."""

from pathlib import Path

from sqlalchemy import select

from extensions import db
from facilitation.models import Programme, SessionPlan, Step
from facilitation.programmes import ProgrammeSpec, load_programme

BUILTIN_CONTENT = Path(__file__).resolve().parent / "content"


def latest_version(slug: str, organisation_id: int | None) -> Programme | None:
    return db.session.scalars(
        select(Programme)
        .where(Programme.slug == slug, Programme.organisation_id.is_(organisation_id))
        .order_by(Programme.version.desc())
        .limit(1)
    ).first()


def import_programme(spec: ProgrammeSpec, organisation_id: int | None = None) -> tuple[Programme, bool]:
    """Add `spec` as the newest version of its slug; return it and whether anything was added.

    Importing unchanged content again adds nothing, so start-up can run it every time.
    """
    current = latest_version(spec.slug, organisation_id)
    if current is not None and current.content_hash == spec.content_hash:
        return current, False
    programme = Programme(
        organisation_id=organisation_id,
        slug=spec.slug,
        version=(current.version + 1) if current else 1,
        title=spec.title,
        summary=spec.summary,
        language=spec.language,
        content_hash=spec.content_hash,
    )
    for session in spec.sessions:
        plan = SessionPlan(
            number=session.number,
            title=session.title,
            duration_minutes=session.duration,
            summary=session.summary,
        )
        plan.steps = [
            Step(
                position=position,
                kind=step.kind,
                title=step.title,
                body_md=step.body_md,
                body_html=step.body_html,
                notes_md=step.notes_md,
                notes_html=step.notes_html,
                content_note=step.content_note,
                settings=step.settings,
            )
            for position, step in enumerate(session.steps)
        ]
        programme.sessions.append(plan)
    db.session.add(programme)
    db.session.flush()
    return programme, True


def install_builtin_programmes() -> list[Programme]:
    """Import every programme shipped in `facilitation/content/`, skipping unchanged ones."""
    added = []
    for folder in sorted(p for p in BUILTIN_CONTENT.iterdir() if (p / "programme.yaml").exists()):
        programme, created = import_programme(load_programme(folder))
        if created:
            added.append(programme)
    return added


def programmes_for(organisation_id: int) -> list[Programme]:
    """The newest version of each programme an organisation may run: built-in and its own."""
    rows = db.session.scalars(
        select(Programme)
        .where((Programme.organisation_id.is_(None)) | (Programme.organisation_id == organisation_id))
        .order_by(Programme.title, Programme.version.desc())
    ).all()
    newest: dict[tuple[int | None, str], Programme] = {}
    for programme in rows:
        newest.setdefault((programme.organisation_id, programme.slug), programme)
    return list(newest.values())
