"""The cohorts that participants' pages show (with their programme, organisation and facilitators),
kept in each process while the database's cohort revision is the one they were read at.

Every arrival then reads one small row instead of the cohort and all it shows. The cache is provably
current in every process: any flush that adds, changes or deletes a cohort, a programme or its weeks,
an organisation or a user bumps the one `cohort_revision` row in the same transaction
(facilitation/models/cohorts.py), and a kept cohort is used only while that row still holds the
revision read before the cohort was.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from extensions import db
from facilitation.models import Cohort, CohortRevision

# On the table, not the entity: a plain Core statement, without the ORM's work for each arrival.
_REVISIONS = CohortRevision.__table__.c
_REVISION = select(_REVISIONS.revision).where(_REVISIONS.id == 1)


@dataclass
class _Kept:
    revision: int
    cohorts: dict[tuple[str, str], Cohort] = field(default_factory=dict)


def kept_cohort(kind: str, key: str, load: Callable[[Session], Cohort | None]) -> Cohort | None:
    """The cohort `load` finds (by `kind` of `key`: a join code, a public id), from this process's
    cache while the revision holds, else loaded now and kept.

    A kept cohort is detached: read what `load` loaded with it, change nothing in it. It is loaded in
    a session of its own (on the request's connection), so that objects the request itself holds (a
    signed-in facilitator, their organisation) never become the cache's."""
    # Read before the cohort: a cohort kept at revision R is at least as new as R.
    revision = db.session.scalar(_REVISION)
    if revision is None:
        # No revision row (a database put together by hand): nothing proves a kept cohort current.
        with Session(bind=db.session.connection()) as loading:
            return load(loading)
    kept: _Kept | None = current_app.extensions.get("mend_kept_cohorts")
    if kept is None or kept.revision != revision:
        kept = current_app.extensions["mend_kept_cohorts"] = _Kept(revision)
    cohort = kept.cohorts.get((kind, key))
    if cohort is None:
        with Session(bind=db.session.connection()) as loading:
            cohort = load(loading)
        if cohort is not None:
            kept.cohorts[(kind, key)] = cohort
    return cohort
