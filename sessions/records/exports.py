"""The records as files: a session report as PDF (fpdf2) and CSV tables, a cohort's whole record as one
zip archive, and a cohort's meetings as a calendar file (icalendar). They carry what the report
screens show and nothing more (docs/privacy.md, "Reports and exports")."""

import csv
import io
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fpdf import FPDF
from icalendar import Calendar, Event

from extensions import db
from facilitation.cohorts import meetings
from facilitation.models import Cohort
from sessions.records.models import CalendarChoice
from sessions.records.operations import (
    CohortRecord,
    MeasureRecord,
    Scale,
    SessionReport,
    cohort_record,
    local,
    session_report,
)

# A font with more than Latin-1, for names such as "Zoë" or "Ѕаm" (Debian's fonts-dejavu-core); Helvetica
# (Latin-1 only) without it.
UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
UNICODE_FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
NEUTRAL_TITLE = "Group meeting"


def _when(report: SessionReport, moment: datetime | None, pattern: str = "%H:%M") -> str:
    shown = local(report.cohort, moment)
    return shown.strftime(pattern) if shown else ""


# CSV: one table per file, a header row, plain values.


def _csv(header: list[str], rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def attendance_csv(report: SessionReport) -> str:
    return _csv(
        ["name", "first seen", "last seen", "minutes present", "late", "left early"],
        [
            [
                person.name,
                _when(report, person.first_seen),
                _when(report, person.last_seen),
                person.minutes,
                "yes" if person.late else "no",
                "yes" if person.left_early else "no",
            ]
            for person in report.attendance
        ],
    )


def _result_rows(question: str, kind: str, outcome: dict | None) -> list[list[object]]:
    if outcome is None:
        return []
    if "options" in outcome:
        return [[question, kind, option["label"], option["count"]] for option in outcome["options"]]
    if "scale" in outcome:
        return [[question, kind, str(value), count] for value, count in enumerate(outcome["scale"])]
    if "words" in outcome:
        return [[question, kind, word["word"], word["count"]] for word in outcome["words"]]
    return [[question, kind, text["text"], ""] for text in outcome.get("texts", [])]


def _scale_outcome(scale: Scale | None) -> dict | None:
    return {"scale": scale.counts} if scale is not None and scale.counts is not None else None


def polls_csv(report: SessionReport) -> str:
    """Each poll's responses, and its results where the report shows them: one row per option, value,
    word or text (texts in the random order they are kept in)."""
    rows: list[list[object]] = []
    for label, scale in (("check-in", report.check_in), ("check-out", report.check_out)):
        if scale is not None:
            rows.append([scale.question, label, "responded", scale.responded])
            rows += _result_rows(scale.question, label, _scale_outcome(scale))
    for poll in report.polls:
        rows.append([poll.question, poll.kind, "responded", poll.responded])
        rows += _result_rows(poll.question, poll.kind, poll.results)
    return _csv(["question", "kind", "answer", "count"], rows)


def _number(value: float) -> str:
    return f"{value:g}"


def measure_rows(measure: MeasureRecord) -> list[list[object]]:
    """A measure's aggregates as rows: per question and per score, how many gave it and the mean, and
    each value's count; nothing for a part fewer than k gave (nor for the measure below k)."""
    rows: list[list[object]] = [[measure.name, "", "responded", measure.responded]]
    if not measure.shown:
        return rows
    for item in measure.results["items"]:
        if "mean" in item:
            rows.append([measure.name, item["text"], "mean", _number(item["mean"])])
            rows += [
                [measure.name, item["text"], str(item["min"] + n), count] for n, count in enumerate(item["counts"])
            ]
    for score in measure.results["scores"]:
        if "mean" in score:
            rows.append([measure.name, score["name"], "mean", _number(score["mean"])])
            rows += [[measure.name, score["name"], _number(value), count] for value, count in score["distribution"]]
    return rows


def measures_csv(report: SessionReport) -> str:
    rows = [row for measure in report.measures for row in measure_rows(measure)]
    return _csv(["measure", "question or score", "value", "count"], rows)


def measures_trend_csv(record: CohortRecord) -> str:
    """The group's mean total per measure and week; empty where fewer than k completed it."""
    rows: list[list[object]] = []
    for measure in record.measures:
        for week in measure["weeks"]:
            total: dict = next((score for score in week.get("scores", []) if score["id"] == "total"), {})
            mean = _number(total["mean"]) if "mean" in total else ""
            rows.append([measure["name"], week["week"], week["answers"], week["passes"], mean])
    return _csv(["measure", "week", "answered", "passed", "mean total"], rows)


def safety_csv(report: SessionReport) -> str:
    rows: list[list[object]] = [
        ["pause", pause.name, _when(report, pause.raised_at), pause.step, pause.acknowledged_by or ""]
        for pause in report.pauses
    ]
    rows += [["grounding break", "", _when(report, pause.started_at), "", ""] for pause in report.breaks]
    rows += [["skipped a content note", str(count), "", step, ""] for step, count in report.skipped]
    return _csv(["what", "who or how many", "at", "step", "answered by"], rows)


def breakouts_csv(report: SessionReport) -> str:
    rows: list[list[object]] = []
    for round_ in report.rounds:
        rows.append([round_.title, round_.rooms, round_.minutes, "", ""])
        rows += [[round_.title, "", "", number, notes] for number, notes in round_.shared]
    return _csv(["round", "rooms", "minutes", "room", "shared notes"], rows)


REPORT_TABLES = {
    "attendance": attendance_csv,
    "polls": polls_csv,
    "measures": measures_csv,
    "safety": safety_csv,
    "breakouts": breakouts_csv,
}


# PDF


class ReportPDF(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=16)
        if UNICODE_FONT.exists() and UNICODE_FONT_BOLD.exists():
            self.add_font("body", fname=str(UNICODE_FONT))
            self.add_font("body", style="B", fname=str(UNICODE_FONT_BOLD))
            self.family = "body"
        else:
            self.family = "helvetica"
        self.set_font(self.family, size=10)

    def clean(self, words: str) -> str:
        return words if self.family == "body" else words.encode("latin-1", "replace").decode("latin-1")

    def heading(self, words: str, size: int = 13) -> None:
        self.ln(3)
        self.set_font(self.family, size=size)
        self.multi_cell(0, 7, self.clean(words), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, size=10)

    def para(self, words: str) -> None:
        self.multi_cell(0, 5, self.clean(words), new_x="LMARGIN", new_y="NEXT")

    def grid(self, header: list[str], rows: list[list[object]]) -> None:
        if not rows:
            return
        with self.table(text_align="LEFT", line_height=5, first_row_as_headings=True) as table:
            every: list[list[object]] = [list(header), *rows]
            for values in every:
                row = table.row()
                for value in values:
                    row.cell(self.clean(str(value)))


def _scale_lines(pdf: ReportPDF, label: str, scale: Scale | None, threshold: int) -> None:
    if scale is None:
        return
    if scale.counts is None:
        pdf.para(f"{label}: {scale.responded} responded; fewer than {threshold} answered, so no figure is kept.")
        return
    pdf.para(f"{label}: {scale.responded} responded, {scale.answers} answered, average {scale.mean}.")
    pdf.grid(["value", *map(str, range(11))], [["people", *scale.counts]])


def write_report(pdf: ReportPDF, report: SessionReport) -> None:
    pdf.add_page()
    pdf.heading(f"{report.cohort.name}: week {report.week}, {report.title}", size=16)
    pdf.para(
        f"{_when(report, report.started_at, '%A %d %B %Y, %H:%M')} to {_when(report, report.ended_at)}"
        f" ({report.cohort.timezone}). {len(report.attendance)} attended, {report.late} late."
    )
    pdf.para("Private to the group's facilitators and the organisation's administrators.")
    pdf.heading("Attendance")
    pdf.grid(
        ["Name", "First seen", "Last seen", "Minutes", "Late", "Left early"],
        [
            [
                p.name,
                _when(report, p.first_seen),
                _when(report, p.last_seen),
                p.minutes,
                "yes" if p.late else "",
                "yes" if p.left_early else "",
            ]
            for p in report.attendance
        ],
    )
    pdf.heading("Check-in and check-out")
    _scale_lines(pdf, "Check-in", report.check_in, report.threshold)
    _scale_lines(pdf, "Check-out", report.check_out, report.threshold)
    pdf.heading("Polls")
    for poll in report.polls:
        if not poll.revealed:
            pdf.para(f"{poll.question}: {poll.responded} responded. Not revealed, so no results are shown.")
            continue
        pdf.para(f"{poll.question}: {poll.responded} responded, as revealed to the room:")
        pdf.grid(["Answer", "Count"], [[row[2], row[3]] for row in _result_rows("", "", poll.results)])
    pdf.heading("Measures")
    for measure in report.measures:
        if not measure.shown:
            pdf.para(
                f"{measure.name}: {measure.responded} responded; fewer than {report.threshold} answered, so no figure is kept."
            )
            continue
        pdf.para(f"{measure.name}: {measure.responded} responded. The group's aggregates, for the team only:")
        means = [row for row in measure_rows(measure) if row[2] == "mean"]
        pdf.grid(["Question or score", "Mean"], [[row[1], row[3]] for row in means])
    pdf.heading("Safety")
    pdf.para(f"{len(report.pauses)} pause request(s), {len(report.breaks)} grounding break(s).")
    pdf.grid(
        ["Pause asked by", "At", "Step", "Answered by"],
        [[p.name, _when(report, p.raised_at), p.step, p.acknowledged_by or ""] for p in report.pauses],
    )
    for step, count in report.skipped:
        pdf.para(f"{step}: {count} skipped its content note.")
    pdf.heading("Breakout rounds")
    for round_ in report.rounds:
        pdf.para(f"{round_.title}: {round_.rooms} rooms, {round_.minutes} minutes.")
        for number, notes in round_.shared:
            pdf.para(f"Room {number} shared: {notes}")
    pdf.heading("Excerpts shown")
    for excerpt in report.excerpts:
        pdf.para(f"“{excerpt}”")
    pdf.heading("Session notes")
    pdf.para(report.notes.text if report.notes and report.notes.text else "No notes were written.")


def report_pdf(report: SessionReport) -> bytes:
    pdf = ReportPDF()
    pdf.set_title(f"Week {report.week} report")
    write_report(pdf, report)
    return bytes(pdf.output())


# The cohort's whole record


def grid_csv(record: CohortRecord) -> str:
    header = ["name", *(f"week {run.session_plan.number} ({run.ended_at:%Y-%m-%d})" for run in record.runs)]
    rows = [
        [row.participant.display_name, *(cell.label if cell else "not yet in the group" for cell in row.cells)]
        for row in record.grid
    ]
    return _csv(header, rows)


def trend_csv(record: CohortRecord) -> str:
    rows = []
    for point in record.trend:
        row: list[object] = [point.week, f"{point.run.ended_at:%Y-%m-%d}"]
        for scale in (point.check_in, point.check_out):
            row += [scale.responded if scale else "", scale.mean if scale and scale.mean is not None else ""]
        rows.append(row)
    return _csv(
        ["week", "date", "check-in responded", "check-in average", "check-out responded", "check-out average"], rows
    )


def cohort_archive(cohort: Cohort) -> bytes:
    """Attendance, aggregate results and every session report of the cohort, as CSV and PDF in one zip."""
    record = cohort_record(cohort)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("attendance-grid.csv", grid_csv(record))
        archive.writestr("check-in-trend.csv", trend_csv(record))
        archive.writestr("measures-trend.csv", measures_trend_csv(record))
        for number, run in enumerate(record.runs, start=1):
            report = session_report(cohort, run)
            folder = f"session-{number:02d}-week-{report.week:02d}"
            archive.writestr(f"{folder}/report.pdf", report_pdf(report))
            for name, table in REPORT_TABLES.items():
                archive.writestr(f"{folder}/{name}.csv", table(report))
    return buffer.getvalue()


# The calendar


def names_group(cohort: Cohort) -> bool:
    choice = db.session.get(CalendarChoice, cohort.organisation_id)
    return bool(choice and choice.names_group)


def calendar_ics(cohort: Cohort, now: datetime | None = None) -> bytes:
    """The cohort's meetings. Its title is neutral ("Group meeting"), with no word of the group's
    subject, unless the organisation chose to name the group."""
    now = now or datetime.now(UTC)
    title = cohort.name if names_group(cohort) else NEUTRAL_TITLE
    calendar = Calendar()
    calendar.add("prodid", "-//Mend//meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", title)
    for meeting in meetings(cohort):
        plan = cohort.programme.sessions[meeting.week - 1]
        event = Event()
        event.add("uid", f"{cohort.public_id}-{meeting.starts_at:%Y%m%d%H%M}@mend")
        event.add("summary", title)
        event.add("dtstart", meeting.starts_at)
        event.add("dtend", meeting.starts_at + timedelta(minutes=plan.duration_minutes))
        event.add("dtstamp", now)
        calendar.add_component(event)
    return calendar.to_ical()
