"""The organisation overview, for administrators: every cohort with its facilitators, where it is,
how attendance has gone week by week, and anything needing attention. The figures are the records'
own (sessions/records): nothing here is counted a second way."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from extensions import db
from facilitation.access import administrator_only
from facilitation.cohorts import Meeting, next_meeting
from facilitation.models import Cohort
from facilitation.retention import deadlines
from sessions.live.operations import attendance_counts, runs_of
from sessions.records.operations import CohortStatus, status_of

bp = Blueprint("overview", __name__)

# How many of the latest sessions the attendance trend shows.
TREND_RUNS = 6
# Records or journals deleted within this many days are flagged.
SOON = timedelta(days=30)


@dataclass
class CohortLine:
    cohort: Cohort
    status: CohortStatus
    meeting: Meeting | None
    # People who came to each of the latest sessions, oldest first, with the week each ran.
    attendance: list[tuple[int, int]]
    attention: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.cohort.is_archived:
            return "Archived"
        if self.status.live is not None:
            return f"Live now: week {self.status.live.session_plan.number}"
        if self.meeting is not None:
            return f"Week {self.meeting.week} of {len(self.cohort.programme.sessions)} next"
        return "All weeks done"

    @property
    def trend(self) -> str:
        """In words, for everyone: how the latest session compares with the one before."""
        if len(self.attendance) < 2:
            return "Too few sessions for a trend"
        before, latest = self.attendance[-2][1], self.attendance[-1][1]
        if latest < before:
            return f"Down from {before} to {latest}"
        if latest > before:
            return f"Up from {before} to {latest}"
        return f"Steady at {latest}"

    @property
    def peak(self) -> int:
        return max((count for _week, count in self.attendance), default=0)


def cohort_line(cohort: Cohort, now: datetime) -> CohortLine:
    status = status_of(cohort)
    per_run, _ = attendance_counts(cohort.id)
    runs = runs_of(cohort.id)[-TREND_RUNS:]
    line = CohortLine(
        cohort,
        status,
        None if cohort.is_archived else next_meeting(cohort, now),
        [(run.session_plan.number, per_run.get(run.id, 0)) for run in runs],
        list(status.attention),
    )
    if not cohort.facilitators:
        line.attention.append("no facilitator")
    due = deadlines(cohort)
    if due.records and not cohort.records_deleted_at and due.records <= now + SOON:
        line.attention.append(f"records deleted on {due.records:%d %B %Y}")
    if due.journals and not cohort.journals_deleted_at and due.journals <= now + SOON:
        line.attention.append(f"journals deleted on {due.journals:%d %B %Y}")
    if not cohort.is_archived and line.meeting is None and status.live is None:
        line.attention.append("finished: archive it when its records are complete")
    return line


def overview_of(organisation_id: int, now: datetime | None = None) -> list[CohortLine]:
    """Every cohort of the organisation, those running first, then the archived, each by name."""
    now = now or datetime.now(UTC)
    cohorts = db.session.scalars(select(Cohort).where(Cohort.organisation_id == organisation_id)).all()
    ordered = sorted(cohorts, key=lambda cohort: (cohort.is_archived, cohort.name.casefold()))
    return [cohort_line(cohort, now) for cohort in ordered]


@bp.get("/overview")
@login_required
def overview():
    administrator_only("Only your organisation's administrators see the overview of every cohort.")
    return render_template("facilitation/overview.html", lines=overview_of(current_user.organisation_id))
