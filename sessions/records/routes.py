"""The records' pages: a session's report with the team's notes (page, PDF, CSV), the cohort across the
weeks and its archive, for the cohort's facilitators and the organisation's administrators; and for
participants, their weeks (on the group page), the calendar file and a private catch-up."""

import re

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from extensions import db
from facilitation import audit
from facilitation.access import administrator_only, cohort_run_by, participant_of
from facilitation.cohorts import add_meeting, meetings, move_meeting, next_meeting, skip_meeting
from facilitation.models import Cohort, Participant
from refusals import Refusal
from sessions.journal import operations as journal
from sessions.live.models import LiveSession
from sessions.realtime.plumbing import commit
from sessions.records import exports
from sessions.records.forms import CalendarForm, CatchUpReflectionForm, NotesForm, ScheduleForm
from sessions.records.models import CalendarChoice
from sessions.records.operations import (
    CohortStatus,
    cohort_record,
    local,
    missed_run,
    my_weeks,
    run_of,
    save_notes,
    session_report,
    status_of,
)
from sessions.records.screens import distribution_svg, trend_svg

bp = Blueprint("records", __name__)
PREFIXED = re.compile(r"reflection-\d{1,4}-position")


@bp.after_request
def private(response: Response) -> Response:
    # Reports name people and catch-ups hold a journal: neither may stay in a shared device's cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_global()
def cohort_status(cohort: Cohort) -> CohortStatus:
    """The dashboard's line for a cohort: live now, last run, and what needs the team's attention."""
    return status_of(cohort)


@bp.app_template_global()
def weeks_of(participant: Participant, runs: list[LiveSession]) -> list:
    """The group page's "Your weeks": of the cohort's ended sessions (`runs`), those run since this person
    joined, and whether they came."""
    return my_weeks(participant, runs) if participant.admitted_at is not None else []


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# The team's pages


@bp.get("/cohorts/<int:cohort_id>/sessions/<int:live_session_id>/report")
@login_required
def report(cohort_id: int, live_session_id: int):
    cohort = cohort_run_by(current_user, cohort_id)
    found = session_report(cohort, run_of(cohort, live_session_id))
    audit.record(current_user.id, "records.report_view", cohort_id=cohort.id, target=f"week {found.week}")
    commit()
    notes = found.notes
    form = NotesForm(text=notes.text if notes else "", revision=notes.revision if notes else 0)
    return render_template(
        "records/report.html",
        report=found,
        form=form,
        check_in_svg=distribution_svg(found.check_in, "check-in", "Check-in")
        if found.check_in and found.check_in.counts
        else None,
        check_out_svg=distribution_svg(found.check_out, "check-out", "Check-out")
        if found.check_out and found.check_out.counts
        else None,
    )


@bp.post("/cohorts/<int:cohort_id>/sessions/<int:live_session_id>/notes")
@login_required
def notes(cohort_id: int, live_session_id: int):
    cohort = cohort_run_by(current_user, cohort_id)
    live = run_of(cohort, live_session_id)
    form = NotesForm()
    if not form.validate_on_submit():
        raise Refusal("bad_request", " ".join(form.text.errors) or None)
    save_notes(live, current_user, form.text.data or "", form.revision.data or 0)
    commit()
    flash("Session notes saved. Only this group's facilitators and your organisation's administrators see them.")
    return redirect(url_for("records.report", cohort_id=cohort.id, live_session_id=live.id) + "#notes")


@bp.get("/cohorts/<int:cohort_id>/sessions/<int:live_session_id>/report.pdf")
@login_required
def report_pdf(cohort_id: int, live_session_id: int):
    cohort = cohort_run_by(current_user, cohort_id)
    found = session_report(cohort, run_of(cohort, live_session_id))
    audit.record(
        current_user.id,
        "records.export",
        cohort_id=cohort.id,
        target=f"week {found.week}",
        details={"file": "report.pdf"},
    )
    commit()
    return _download(exports.report_pdf(found), "application/pdf", f"week-{found.week:02d}-report.pdf")


@bp.get("/cohorts/<int:cohort_id>/sessions/<int:live_session_id>/<table>.csv")
@login_required
def report_csv(cohort_id: int, live_session_id: int, table: str):
    cohort = cohort_run_by(current_user, cohort_id)
    live = run_of(cohort, live_session_id)
    if table not in exports.REPORT_TABLES:
        raise Refusal("not_found")
    found = session_report(cohort, live)
    audit.record(
        current_user.id,
        "records.export",
        cohort_id=cohort.id,
        target=f"week {found.week}",
        details={"file": f"{table}.csv"},
    )
    commit()
    return _download(exports.REPORT_TABLES[table](found), "text/csv", f"week-{found.week:02d}-{table}.csv")


@bp.get("/cohorts/<int:cohort_id>/record")
@login_required
def record(cohort_id: int):
    cohort = cohort_run_by(current_user, cohort_id)
    found = cohort_record(cohort)
    audit.record(current_user.id, "records.cohort_view", cohort_id=cohort.id)
    commit()
    return render_template(
        "records/cohort_record.html",
        record=found,
        meeting=next_meeting(cohort),
        trend_svg=trend_svg(found.trend, "trend") if found.trend else None,
        calendar_form=CalendarForm(names_group=exports.names_group(cohort)),
        schedule_form=ScheduleForm(),
        meetings=[meeting for meeting in meetings(cohort) if meeting.status not in ("held", "live")],
    )


@bp.post("/cohorts/<int:cohort_id>/schedule")
@login_required
def schedule(cohort_id: int):
    cohort = cohort_run_by(current_user, cohort_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        raise Refusal("bad_request", "That date or time could not be read. Nothing was changed.")
    action, day, to, at = form.action.data, form.regular_date.data, form.new_date.data, form.new_time.data
    if action in ("skip", "move") and day is None:
        raise Refusal("bad_request", "Choose which of the group's dates to change. Nothing was changed.")
    if action in ("move", "add") and (to is None or at is None):
        raise Refusal("bad_request", "Give the new date and time. Nothing was changed.")
    if action == "skip" and day is not None:
        skip_meeting(cohort, day, current_user)
        message = f"The group does not meet on {day:%A %d %B}; the weeks to come move on by one date."
    elif action == "move" and day is not None and to is not None and at is not None:
        move_meeting(cohort, day, to, at, current_user)
        message = f"The meeting of {day:%A %d %B} is now on {to:%A %d %B} at {at:%H:%M}."
    elif to is not None and at is not None:
        add_meeting(cohort, to, at, current_user)
        message = f"A meeting is added on {to:%A %d %B} at {at:%H:%M}; the weeks to come take it in turn."
    commit()
    flash(message)
    return redirect(url_for("records.record", cohort_id=cohort.id) + "#schedule")


@bp.get("/cohorts/<int:cohort_id>/export.zip")
@login_required
def archive(cohort_id: int):
    cohort = cohort_run_by(current_user, cohort_id)
    audit.record(current_user.id, "records.export", cohort_id=cohort.id, details={"file": "record.zip"})
    commit()
    return _download(exports.cohort_archive(cohort), "application/zip", f"cohort-{cohort.id}-record.zip")


@bp.post("/cohorts/<int:cohort_id>/calendar")
@login_required
def calendar_choice(cohort_id: int):
    cohort = cohort_run_by(current_user, cohort_id)
    administrator_only("Only your organisation's administrators choose what calendar files say.")
    form = CalendarForm()
    if not form.validate_on_submit():
        raise Refusal("bad_request")
    choice = db.session.get(CalendarChoice, cohort.organisation_id)
    if choice is None:
        choice = CalendarChoice(organisation_id=cohort.organisation_id)
        db.session.add(choice)
    choice.names_group = bool(form.names_group.data)
    commit()
    flash("Calendar files now name the group." if choice.names_group else "Calendar files now say “Group meeting”.")
    return redirect(url_for("records.record", cohort_id=cohort.id))


# Participants' pages


@bp.get("/g/<public_id>/calendar.ics")
def calendar(public_id: str):
    cohort, participant = participant_of(public_id)
    if participant.admitted_at is None:
        raise Refusal("waiting")
    return _download(exports.calendar_ics(cohort), "text/calendar", "meetings.ics")


def _catch_up_page(cohort: Cohort, participant: Participant, week: int, status: int = 200):
    missed = missed_run(participant, week)
    plan = missed.run.session_plan
    own = journal.entries_of(participant, week)
    reflections = []
    for step in plan.steps:
        if step.kind != "reflection":
            continue
        stored = journal.reflection_entry(participant, missed.run, step)
        opened = next((entry for entry in own if stored is not None and entry.id == stored.id), None)
        form = CatchUpReflectionForm(
            prefix=f"reflection-{step.position}",
            text=opened.text if opened else "",
            position=step.position,
            entry=opened.id if opened else "",
            revision=opened.revision if opened else 0,
        )
        reflections.append((step, form))
    page = render_template(
        "records/catch_up.html",
        cohort=cohort,
        participant=participant,
        missed=missed,
        slides=[step for step in plan.steps if step.kind == "slide"],
        reflections=reflections,
        entries=own,
    )
    return page, status


@bp.get("/g/<public_id>/weeks/<int:week>")
def catch_up(public_id: str, week: int):
    cohort, participant = participant_of(public_id)
    return _catch_up_page(cohort, participant, week)


@bp.post("/g/<public_id>/weeks/<int:week>/reflection")
def catch_up_reflection(public_id: str, week: int):
    cohort, participant = participant_of(public_id)
    missed = missed_run(participant, week)
    # Each reflection of the week has its own form, its fields named after its step.
    named = next((key for key in request.form if PREFIXED.fullmatch(key)), None)
    form = CatchUpReflectionForm(prefix=named.rsplit("-", 1)[0] if named else "")
    if not form.validate_on_submit():
        raise Refusal("bad_entry")
    steps = missed.run.session_plan.steps
    position = form.position.data if form.position.data is not None else -1
    if not 0 <= position < len(steps) or steps[position].kind != "reflection":
        raise Refusal("no_reflection")
    if form.entry.data:
        journal.save_entry(
            participant,
            kind="reflection",
            text=form.text.data or "",
            entry_id=form.entry.data[:32],
            base_revision=form.revision.data,
        )
    else:
        journal.save_entry(
            participant, kind="reflection", text=form.text.data or "", reflection=(missed.run.id, position)
        )
    commit()
    flash("Saved to your journal.")
    return redirect(url_for("records.catch_up", public_id=public_id, week=week) + f"#reflection-{position}")


@bp.app_template_filter("local_time")
def local_time_filter(moment, cohort: Cohort, pattern: str = "%H:%M") -> str:
    shown = local(cohort, moment)
    return shown.strftime(pattern) if shown else ""
