"""What a session leaves behind, and a cohort's record across the weeks, read from what was stored.

Nothing here reads a ballot or a journal: polls are read as their counters and only as far as
docs/privacy.md allows ("Reports and exports"), breakout notes only once a room shared them, and
journals not at all (the catch-up reads its author's own entries through the journal itself).
Functions that change state flush; the request handler commits.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from extensions import db
from facilitation.models import Cohort, Participant, SessionPlan, Step, User
from refusals import Refusal
from sessions.breakouts.models import BreakoutRound
from sessions.journal.models import SharedExcerpt
from sessions.live.models import Attendance, LiveSession, Transition
from sessions.live.operations import open_session_of, runs_of
from sessions.measures.operations import cohort_measures
from sessions.polls.models import Poll, PollTally
from sessions.polls.screens import results
from sessions.records.models import NOTES_MAX, SessionNote
from sessions.safety.models import ContentNoteFigure, SafetySignal

# Arriving this long after the start counts as late; leaving this long before the end, as leaving early.
LATE_AFTER = timedelta(minutes=5)
EARLY_BEFORE = timedelta(minutes=5)
# Two meetings in a row missed is when someone usually drops out, and a facilitator's call matters most.
MISSED_IN_A_ROW = 2
NO_CATCH_UP = "No catch-up for that week"


def as_utc(moment: datetime | None) -> datetime | None:
    """Stored moments are UTC; SQLite gives them back without their zone."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local(cohort: Cohort, moment: datetime | None) -> datetime | None:
    utc = as_utc(moment)
    return utc.astimezone(ZoneInfo(cohort.timezone)) if utc else None


@dataclass
class Presence:
    name: str
    participant_id: int
    first_seen: datetime
    last_seen: datetime
    minutes: int
    late: bool
    left_early: bool


@dataclass
class PollRecord:
    question: str
    kind: str
    responded: int
    answers: int
    passes: int
    revealed: bool
    # What the room was shown at the reveal (hidden answers left out); None when not revealed.
    results: dict | None


@dataclass
class Scale:
    """A check-in or check-out scale as the team saw it on the console: a figure only from k answers."""

    question: str
    responded: int
    answers: int
    counts: list[int] | None

    @property
    def mean(self) -> float | None:
        if not self.counts or not sum(self.counts):
            return None
        return round(sum(value * count for value, count in enumerate(self.counts)) / sum(self.counts), 1)


@dataclass
class PauseRecord:
    name: str
    raised_at: datetime
    step: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None


@dataclass
class BreakRecord:
    started_at: datetime
    ended_early_at: datetime | None


@dataclass
class RoundRecord:
    title: str
    rooms: int
    minutes: int
    started_at: datetime | None
    # (room number, notes) for each room whose members all agreed to share; no names.
    shared: list[tuple[int, str]]


@dataclass
class MeasureRecord:
    """A measure asked in the session: the team's aggregates, only where at least k gave them."""

    name: str
    responded: int
    results: dict

    @property
    def shown(self) -> bool:
        return not self.results.get("below_threshold")


@dataclass
class SessionReport:
    live: LiveSession
    cohort: Cohort
    week: int
    title: str
    threshold: int
    started_at: datetime | None
    ended_at: datetime | None
    attendance: list[Presence]
    check_in: Scale | None
    check_out: Scale | None
    polls: list[PollRecord]
    measures: list[MeasureRecord]
    pauses: list[PauseRecord]
    breaks: list[BreakRecord]
    skipped: list[tuple[str, int]]
    rounds: list[RoundRecord]
    excerpts: list[str]
    notes: SessionNote | None

    @property
    def late(self) -> int:
        return sum(1 for person in self.attendance if person.late)

    @property
    def in_progress(self) -> bool:
        return self.live.is_open


def threshold_of(cohort: Cohort) -> int:
    return cohort.organisation.poll_reveal_threshold


def run_of(cohort: Cohort, live_session_id: int) -> LiveSession:
    """One of this cohort's sessions, by id; any other id is not found, whoever's it is."""
    live = db.session.get(LiveSession, live_session_id)
    if live is None or live.cohort_id != cohort.id:
        raise Refusal("not_found", "This group has no session by that number.")
    return live


def scale_steps(plan: SessionPlan) -> tuple[Step | None, Step | None]:
    """The plan's check-in and check-out: its first and last scale poll (the built-in course opens and
    closes every week with one); a plan with a single scale poll has a check-in only."""
    scales = [step for step in plan.steps if step.kind == "poll" and step.settings.get("kind") == "scale"]
    if not scales:
        return None, None
    return scales[0], (scales[-1] if len(scales) > 1 else None)


def _tally(poll: Poll) -> PollTally | None:
    return db.session.get(PollTally, poll.id)


def _responded(poll: Poll, tally: PollTally | None) -> int:
    if poll.responded is not None:
        return poll.responded
    return (tally.answers + tally.passes) if tally else 0


def scale_of(poll: Poll | None, threshold: int) -> Scale | None:
    if poll is None:
        return None
    tally = _tally(poll)
    answers = tally.answers if tally else 0
    counts = None
    if tally is not None and poll.status != "open" and answers >= max(threshold, poll.threshold):
        counts = [int(tally.counts.get(str(value), 0)) for value in range(11)]
    return Scale(poll.question, _responded(poll, tally), answers, counts)


def _polls_of(live: LiveSession) -> list[Poll]:
    return list(db.session.scalars(select(Poll).where(Poll.live_session_id == live.id).order_by(Poll.id)))


def poll_record(poll: Poll, threshold: int) -> PollRecord:
    tally = _tally(poll)
    answers = tally.answers if tally else 0
    revealed = poll.status == "revealed" and answers >= max(threshold, poll.threshold)
    return PollRecord(
        question=poll.question,
        kind=poll.kind,
        responded=_responded(poll, tally),
        answers=answers,
        passes=tally.passes if tally else 0,
        revealed=revealed,
        results=results(poll, for_team=False) if revealed else None,
    )


def measure_record(poll: Poll) -> MeasureRecord:
    return MeasureRecord(poll.settings["short_name"], _responded(poll, _tally(poll)), results(poll, for_team=True))


def attendance_of(live: LiveSession) -> list[Presence]:
    rows = db.session.scalars(
        select(Attendance)
        .join(Participant, Participant.id == Attendance.participant_id)
        .where(Attendance.live_session_id == live.id)
        .order_by(Participant.display_name)
    )
    started, ended = as_utc(live.started_at), as_utc(live.ended_at)
    presence = []
    for row in rows:
        first, last = as_utc(row.first_seen_at), as_utc(row.last_seen_at)
        assert first is not None and last is not None
        presence.append(
            Presence(
                name=row.participant.display_name,
                participant_id=row.participant_id,
                first_seen=first,
                last_seen=last,
                minutes=round(row.seconds_present / 60),
                late=started is not None and first > started + LATE_AFTER,
                left_early=ended is not None and last < ended - EARLY_BEFORE,
            )
        )
    return presence


def _step_title(plan: SessionPlan, position: int | None) -> str:
    if position is None:
        return "Before the start"
    if 0 <= position < len(plan.steps):
        return f"Step {position + 1}: {plan.steps[position].title}"
    return f"Step {position + 1}"


def pauses_of(live: LiveSession) -> list[PauseRecord]:
    signals = db.session.scalars(
        select(SafetySignal).where(SafetySignal.live_session_id == live.id).order_by(SafetySignal.raised_at)
    )
    records = []
    for signal in signals:
        raised = as_utc(signal.raised_at)
        assert raised is not None
        records.append(
            PauseRecord(
                name=signal.participant.display_name,
                raised_at=raised,
                step=_step_title(live.session_plan, signal.step_position),
                acknowledged_by=signal.acknowledged_by.name if signal.acknowledged_by else None,
                acknowledged_at=as_utc(signal.acknowledged_at),
                resolved_at=as_utc(signal.resolved_at),
            )
        )
    return records


def breaks_of(live: LiveSession) -> list[BreakRecord]:
    """Each grounding break from the session's history: when it started, and when a facilitator ended
    it early (a break that ran its course ends by its deadline, which leaves no transition)."""
    history = db.session.execute(
        select(Transition.action, Transition.at)
        .where(Transition.live_session_id == live.id, Transition.action.in_(("break_start", "break_end")))
        .order_by(Transition.version)
    ).all()
    breaks: list[BreakRecord] = []
    for action, at in history:
        moment = as_utc(at)
        assert moment is not None
        if action == "break_start":
            breaks.append(BreakRecord(moment, None))
        elif breaks:
            breaks[-1].ended_early_at = moment
    return breaks


def skipped_of(live: LiveSession) -> list[tuple[str, int]]:
    """How many skipped each content-noted step, as the team's figure last showed it (never who)."""
    figures = db.session.scalars(select(ContentNoteFigure).where(ContentNoteFigure.live_session_id == live.id))
    by_step = {step.id: step for step in live.session_plan.steps}
    return [
        (_step_title(live.session_plan, by_step[figure.step_id].position), figure.skipped)
        for figure in figures
        if figure.step_id in by_step
    ]


def rounds_of(live: LiveSession) -> list[RoundRecord]:
    rounds = db.session.scalars(
        select(BreakoutRound)
        .where(BreakoutRound.live_session_id == live.id, BreakoutRound.starts_at.is_not(None))
        .order_by(BreakoutRound.id)
    )
    return [
        RoundRecord(
            title=round_.title,
            rooms=len(round_.rooms),
            minutes=round_.minutes,
            started_at=as_utc(round_.starts_at),
            shared=[(room.number, room.notes) for room in round_.rooms if room.shared_at is not None],
        )
        for round_ in rounds
    ]


def excerpts_of(live: LiveSession) -> list[str]:
    rows = db.session.scalars(
        select(SharedExcerpt.text)
        .where(SharedExcerpt.live_session_id == live.id, SharedExcerpt.status == "approved")
        .order_by(SharedExcerpt.id)
    )
    return list(rows)


def session_report(cohort: Cohort, live: LiveSession) -> SessionReport:
    threshold = threshold_of(cohort)
    plan = live.session_plan
    polls = _polls_of(live)
    check_in_step, check_out_step = scale_steps(plan)
    scale_ids = {step.id for step in (check_in_step, check_out_step) if step is not None}

    def poll_at(step: Step | None) -> Poll | None:
        if step is None:
            return None
        return next((poll for poll in reversed(polls) if poll.step_id == step.id), None)

    return SessionReport(
        live=live,
        cohort=cohort,
        week=plan.number,
        title=plan.title,
        threshold=threshold,
        started_at=as_utc(live.started_at),
        ended_at=as_utc(live.ended_at),
        attendance=attendance_of(live),
        check_in=scale_of(poll_at(check_in_step), threshold),
        check_out=scale_of(poll_at(check_out_step), threshold),
        polls=[
            poll_record(poll, threshold) for poll in polls if poll.step_id not in scale_ids and poll.kind != "measure"
        ],
        measures=[measure_record(poll) for poll in polls if poll.kind == "measure" and poll.status != "open"],
        pauses=pauses_of(live),
        breaks=breaks_of(live),
        skipped=skipped_of(live),
        rounds=rounds_of(live),
        excerpts=excerpts_of(live),
        notes=db.session.get(SessionNote, live.id),
    )


def save_notes(live: LiveSession, user: User, text: str, revision: int) -> SessionNote:
    """Keep the team's notes on `live`. A save based on an older revision is refused, so that two
    facilitators writing at once never silently lose each other's words."""
    text = text.replace("\r\n", "\n").strip()
    if len(text) > NOTES_MAX:
        raise Refusal("too_long", f"Session notes hold up to {NOTES_MAX:,} characters. Nothing was saved.")
    note = db.session.get(SessionNote, live.id)
    if note is None:
        note = SessionNote(live_session_id=live.id, text="", revision=0)
        db.session.add(note)
    if revision != note.revision:
        raise Refusal(
            "bad_request",
            "A colleague saved these notes after you opened them, so yours were not saved. "
            "Copy your text, reload the page and add it again.",
        )
    note.text, note.revision = text, note.revision + 1
    note.updated_at, note.updated_by_id = datetime.now(UTC), user.id
    db.session.flush()
    return note


# The cohort across the weeks


@dataclass
class Cell:
    present: bool
    late: bool = False
    left_early: bool = False

    @property
    def label(self) -> str:
        if not self.present:
            return "Missed"
        label = "Came late" if self.late else "Came"
        return f"{label}, left early" if self.left_early else label


@dataclass
class GridRow:
    participant: Participant
    # One per run; None where the run came before they joined.
    cells: list[Cell | None]
    missed_in_a_row: int = 0


@dataclass
class TrendPoint:
    run: LiveSession
    week: int
    check_in: Scale | None
    check_out: Scale | None


@dataclass
class CohortRecord:
    cohort: Cohort
    threshold: int
    runs: list[LiveSession]
    grid: list[GridRow]
    trend: list[TrendPoint]
    open_live: LiveSession | None
    weeks_run: dict[int, int] = field(default_factory=dict)
    # The group's measures across the weeks, as the console's Measures tab shows them (aggregates only).
    measures: list[dict] = field(default_factory=list)

    @property
    def needing_a_call(self) -> list[GridRow]:
        return [row for row in self.grid if row.missed_in_a_row >= MISSED_IN_A_ROW]

    def status_of(self, week: int) -> str:
        count = self.weeks_run.get(week, 0)
        if count:
            return "run" if count == 1 else f"run {count} times"
        last = max(self.weeks_run, default=0)
        return "skipped" if week < last else "to come"


def attendance_grid(cohort: Cohort, runs: list[LiveSession]) -> list[GridRow]:
    presence = {run.id: {person.participant_id: person for person in attendance_of(run)} for run in runs}
    rows = []
    for participant in cohort.participants:
        if participant.admitted_at is None:
            continue
        joined = as_utc(participant.created_at)
        cells: list[Cell | None] = []
        for run in runs:
            seen = presence[run.id].get(participant.id)
            if seen is not None:
                cells.append(Cell(True, seen.late, seen.left_early))
            elif joined is not None and joined > (as_utc(run.ended_at) or joined):
                cells.append(None)
            else:
                cells.append(Cell(False))
        in_a_row = 0
        for cell in reversed(cells):
            if cell is None or cell.present:
                break
            in_a_row += 1
        rows.append(GridRow(participant, cells, in_a_row))
    return rows


def trend_of(cohort: Cohort, runs: list[LiveSession], threshold: int) -> list[TrendPoint]:
    points = []
    for run in runs:
        check_in_step, check_out_step = scale_steps(run.session_plan)
        polls = _polls_of(run)

        def poll_at(step: Step | None, polls: list[Poll] = polls) -> Poll | None:
            return next((p for p in reversed(polls) if step is not None and p.step_id == step.id), None)

        points.append(
            TrendPoint(
                run,
                run.session_plan.number,
                scale_of(poll_at(check_in_step), threshold),
                scale_of(poll_at(check_out_step), threshold),
            )
        )
    return points


def cohort_record(cohort: Cohort) -> CohortRecord:
    runs = runs_of(cohort.id)
    threshold = threshold_of(cohort)
    weeks_run: dict[int, int] = {}
    for run in runs:
        weeks_run[run.session_plan.number] = weeks_run.get(run.session_plan.number, 0) + 1
    return CohortRecord(
        cohort=cohort,
        threshold=threshold,
        runs=runs,
        grid=attendance_grid(cohort, runs),
        trend=trend_of(cohort, runs, threshold),
        open_live=open_session_of(cohort.id),
        weeks_run=weeks_run,
        measures=cohort_measures(cohort.id),
    )


# For participants


@dataclass
class MyWeek:
    run: LiveSession
    week: int
    title: str
    came: bool


def my_weeks(participant: Participant, runs: list[LiveSession] | None = None) -> list[MyWeek]:
    """The sessions the group has run since this person joined, and whether they came: their own
    attendance only, never anyone else's. `runs`: the cohort's ended sessions, if read already."""
    joined = as_utc(participant.created_at)

    def before_they_joined(run: LiveSession) -> bool:
        ended = as_utc(run.ended_at)
        return joined is not None and ended is not None and ended < joined

    ended = runs if runs is not None else runs_of(participant.cohort_id)
    runs = [run for run in ended if not before_they_joined(run)]
    if not runs:
        # Someone who joined since the last session (every arrival of the evening): nothing to look up.
        return []
    came = set(
        db.session.scalars(select(Attendance.live_session_id).where(Attendance.participant_id == participant.id))
    )
    return [MyWeek(run, run.session_plan.number, run.session_plan.title, run.id in came) for run in runs]


def missed_run(participant: Participant, week: int) -> MyWeek:
    """The latest run of `week` that this person missed: what a catch-up is for. Anything else (a week
    not run yet, a week they came to, a number that is no week) is refused with a sentence."""
    if participant.admitted_at is None:
        raise Refusal("waiting")
    weeks = [mine for mine in my_weeks(participant) if mine.week == week]
    if not weeks:
        raise Refusal(
            "bad_request",
            "There is nothing to catch up on for that week: the group has not met for it.",
            title=NO_CATCH_UP,
        )
    if any(mine.came for mine in weeks):
        raise Refusal("bad_request", "You were there that week, so there is no catch-up for it.", title=NO_CATCH_UP)
    return weeks[-1]


@dataclass
class CohortStatus:
    live: LiveSession | None
    last_run: LiveSession | None
    attention: list[str]


def status_of(cohort: Cohort) -> CohortStatus:
    """Live now, the last session run, and anything needing attention: people waiting to be let in,
    and people who missed the last two meetings."""
    runs = runs_of(cohort.id)
    attention = []
    waiting = sum(1 for participant in cohort.participants if participant.admitted_at is None)
    if waiting:
        attention.append(f"{waiting} waiting to be let in")
    missed = sum(
        1 for row in attendance_grid(cohort, runs[-MISSED_IN_A_ROW:]) if row.missed_in_a_row >= MISSED_IN_A_ROW
    )
    if missed:
        attention.append(f"{missed} missed the last two meetings")
    return CohortStatus(open_session_of(cohort.id), runs[-1] if runs else None, attention)
