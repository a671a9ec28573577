"""Facilitator pages: dashboard, programme browser, cohorts with their join links."""

import segno
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3; the stubs are of 3.2

from extensions import db
from facilitation import audit
from facilitation.access import administrator_only, cohort_run_by, programme_seen_by
from facilitation.catalogue import programmes_for
from facilitation.cohorts import (
    archive_cohort,
    cohorts_for,
    create_cohort,
    edit_cohort,
    next_meeting,
    regenerate_join_code,
)
from facilitation.forms import (
    AgreementForm,
    ArchiveForm,
    CohortEditForm,
    CohortForm,
    RegenerateCodeForm,
    ScheduleFields,
    timezone_choices,
)
from facilitation.models import Cohort, Participant, User
from facilitation.programmes import render_markdown
from facilitation.retention import retention_notice
from refusals import Refusal
from sessions.journal.screens import writers_this_week
from sessions.live import admission
from sessions.live.events import announce_enrolment, announce_presence, announce_removal
from sessions.live.forms import EnrolmentForm, ParticipantForm
from sessions.live.operations import attendance_counts, open_session_of, runs_of
from sessions.realtime.plumbing import commit

bp = Blueprint("facilitation", __name__)
# A participant's own pages say what retention will delete, and when (templates/base.html).
bp.add_app_template_global(retention_notice)


@bp.before_request
@login_required
def require_login() -> None:
    """Every page here is for signed-in facilitators only."""


def join_url(cohort: Cohort) -> str:
    return url_for("sessions.join_with_code", code=cohort.join_code, _external=True)


def join_qr(cohort: Cohort, scale: int, dark: str = "#000") -> Markup:
    """The join link as an inline SVG QR code (segno's output, trusted)."""
    svg = segno.make(join_url(cohort), error="m").svg_inline(
        scale=scale, dark=dark, title="QR code for the join link", omitsize=True
    )
    return Markup(svg)  # noqa: S704 - segno output, no user input in markup position


def changeable(cohort: Cohort) -> Cohort:
    """An archived cohort is read-only: anything that would change it is refused, saying why."""
    if cohort.is_archived:
        raise Refusal(
            "forbidden",
            "This cohort is archived, so it cannot be changed. An administrator can bring it back.",
            title="Archived",
        )
    return cohort


@bp.get("/dashboard")
def dashboard():
    cohorts = [(cohort, next_meeting(cohort)) for cohort in cohorts_for(current_user)]
    archived = cohorts_for(current_user, archived=True)
    return render_template("facilitation/dashboard.html", cohorts=cohorts, archived=archived)


@bp.get("/programmes")
def programmes():
    return render_template("facilitation/programmes.html", programmes=programmes_for(current_user.organisation_id))


@bp.get("/programmes/<int:programme_id>")
def programme(programme_id: int):
    return render_template("facilitation/programme.html", programme=programme_seen_by(current_user, programme_id))


def _colleagues() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.organisation_id == current_user.organisation_id, User.deactivated_at.is_(None))
            .order_by(User.name)
        )
    )


def _offer(form: ScheduleFields, colleagues: list[User], keep_zone: str | None = None) -> None:
    """The facilitators and time zones a cohort form offers: the organisation's people, and the
    short list of likely zones (the organisation's own first) before every zone."""
    form.facilitators.choices = [SelectChoice(u.id, f"{u.name} ({u.email})") for u in colleagues]
    form.timezone.choices = timezone_choices(current_user.organisation.default_timezone, keep_zone)  # type: ignore[assignment]  # grouped choices: a dict, which the stubs do not know


@bp.route("/cohorts/new", methods=["GET", "POST"])
def new_cohort():
    form = CohortForm()
    form.programme.choices = [SelectChoice(p.id, p.title) for p in programmes_for(current_user.organisation_id)]
    colleagues = _colleagues()
    _offer(form, colleagues)
    if not form.is_submitted():
        form.facilitators.data = [current_user.id]
        form.timezone.data = current_user.organisation.default_timezone
    if form.validate_on_submit():
        chosen = [u for u in colleagues if u.id in form.facilitators.data]
        cohort = create_cohort(
            organisation=current_user.organisation,
            programme=programme_seen_by(current_user, form.programme.data),
            name=form.name.data,
            facilitators=chosen,
            start_date=form.start_date.data,
            weekday=form.weekday.data,
            start_time=form.start_time.data,
            timezone=form.timezone.data,
            meeting_place=form.meeting_place.data or "",
        )
        audit.record(current_user.id, "cohort.create", cohort_id=cohort.id, target=cohort.name)
        commit()
        flash(f"{cohort.name} is ready. Share the join link with your group.")
        return redirect(url_for("facilitation.cohort", cohort_id=cohort.id))
    return render_template("facilitation/cohort_new.html", form=form), 400 if form.errors else 200


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
def edit_cohort_page(cohort_id: int):
    cohort = cohort_run_by(current_user, cohort_id)
    if cohort.is_archived:
        return render_template("facilitation/cohort_edit.html", cohort=cohort, form=None, archive_form=ArchiveForm())
    form = CohortEditForm(obj=cohort if request.method == "GET" else None)
    colleagues = _colleagues()
    _offer(form, colleagues, keep_zone=cohort.timezone)
    if request.method == "GET":
        form.facilitators.data = [f.id for f in cohort.facilitators]
    if form.validate_on_submit():
        changed = edit_cohort(
            cohort,
            [u for u in colleagues if u.id in (form.facilitators.data or [])],
            name=form.name.data,
            start_date=form.start_date.data,
            weekday=form.weekday.data,
            start_time=form.start_time.data,
            timezone=form.timezone.data,
            meeting_place=form.meeting_place.data or "",
        )
        if changed:
            audit.record(current_user.id, "cohort.edit", cohort_id=cohort.id, target=cohort.name, details=changed)
            commit()
            flash(f"{cohort.name} is saved.")
        else:
            flash("Nothing was changed.")
        return redirect(url_for("facilitation.cohort", cohort_id=cohort.id))
    status = 400 if form.errors else 200
    return render_template(
        "facilitation/cohort_edit.html", cohort=cohort, form=form, archive_form=ArchiveForm()
    ), status


@bp.post("/cohorts/<int:cohort_id>/archive")
def archive(cohort_id: int):
    cohort = cohort_run_by(current_user, cohort_id)
    form = ArchiveForm()
    if not form.validate_on_submit() or form.archive.data not in ("0", "1"):
        raise Refusal("bad_request")
    archived = form.archive.data == "1"
    if not archived:
        administrator_only("Only your organisation's administrators can bring back an archived cohort.")
    if archive_cohort(cohort, archived):
        audit.record(
            current_user.id,
            "cohort.archive" if archived else "cohort.unarchive",
            cohort_id=cohort.id,
            target=cohort.name,
        )
        commit()
    if archived:
        flash(
            f"{cohort.name} is archived: it is read-only and no longer on the dashboard. Its join code lets nobody in."
        )
    else:
        flash(f"{cohort.name} is back: it can be changed and run again.")
    return redirect(url_for("facilitation.cohort", cohort_id=cohort.id))


@bp.get("/cohorts/<int:cohort_id>")
def cohort(cohort_id: int):
    cohort = cohort_run_by(current_user, cohort_id)
    live = open_session_of(cohort.id)
    return render_template(
        "facilitation/cohort.html",
        cohort=cohort,
        join_url=join_url(cohort),
        qr_svg=join_qr(cohort, scale=5, dark="#1f2a44"),
        meeting=next_meeting(cohort),
        open_live=live,
        runs=runs_of(cohort.id),
        attendance=attendance_counts(cohort.id),
        journal_writers=writers_this_week(cohort.id, live),
        agreement_form=AgreementForm(agreement_md=cohort.agreement_md),
        regenerate_form=RegenerateCodeForm(current_code=cohort.join_code),
        enrolment_form=EnrolmentForm(enrolment_open=cohort.enrolment_open, waiting_room=cohort.waiting_room),
        participant_form=ParticipantForm(),
    )


@bp.get("/cohorts/<int:cohort_id>/qr.svg")
def cohort_qr(cohort_id: int):
    cohort = cohort_run_by(current_user, cohort_id)
    svg = segno.make(join_url(cohort), error="m").svg_inline(scale=10, dark="#000")
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.get("/cohorts/<int:cohort_id>/invitation")
def invitation(cohort_id: int):
    cohort = cohort_run_by(current_user, cohort_id)
    return render_template(
        "facilitation/invitation.html",
        cohort=cohort,
        join_url=join_url(cohort),
        qr_svg=join_qr(cohort, scale=6),
        meeting=next_meeting(cohort),
    )


@bp.post("/cohorts/<int:cohort_id>/code")
def regenerate_code(cohort_id: int):
    cohort = changeable(cohort_run_by(current_user, cohort_id))
    form = RegenerateCodeForm()
    if not form.validate_on_submit():
        raise Refusal("bad_request")
    if form.current_code.data != cohort.join_code:
        flash("The code was already changed; the code shown below is the current one.")
    else:
        regenerate_join_code(cohort)
        commit()
        flash("New join code made. The old code and link no longer work.")
    return redirect(url_for("facilitation.cohort", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/enrolment")
def set_enrolment(cohort_id: int):
    cohort = changeable(cohort_run_by(current_user, cohort_id))
    form = EnrolmentForm()
    if not form.validate_on_submit():
        raise Refusal("bad_request")
    admission.set_enrolment(cohort.id, form.enrolment_open.data, form.waiting_room.data)
    announce_enrolment(cohort.id)
    commit()
    if not cohort.enrolment_open:
        flash("Enrolment is closed: the join code lets nobody new in. People already in the group keep their place.")
    elif cohort.waiting_room:
        flash("The waiting room is on: each newcomer waits until a facilitator lets them in.")
    else:
        flash("Enrolment is open: anyone with the join code can join.")
    return redirect(url_for("facilitation.cohort", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/participants/<int:participant_id>/admit")
def admit_participant(cohort_id: int, participant_id: int):
    cohort = changeable(cohort_run_by(current_user, cohort_id))
    if not ParticipantForm().validate_on_submit():
        raise Refusal("bad_request")
    participant = admission.admit(cohort.id, participant_id)
    announce_presence(cohort.id)
    commit()
    flash(f"{participant.display_name} is in the group now.")
    return redirect(url_for("facilitation.cohort", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>/participants/<int:participant_id>/remove", methods=["GET", "POST"])
def remove_participant(cohort_id: int, participant_id: int):
    cohort = cohort_run_by(current_user, cohort_id)
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.cohort_id != cohort.id:
        raise Refusal("not_found")
    form = ParticipantForm()
    if request.method == "GET":
        return render_template(
            "facilitation/remove_participant.html", cohort=cohort, participant=participant, form=form
        )
    if not form.validate_on_submit():
        raise Refusal("bad_request")
    removed = admission.remove(cohort.id, participant_id)
    audit.record(current_user.id, "participant.remove", cohort_id=cohort.id, target=f"participant {participant_id}")
    announce_removal(cohort.id, participant_id, removed)
    commit()
    flash(f"{removed.name} was removed from the group. Their links no longer work and their journal is deleted.")
    return redirect(url_for("facilitation.cohort", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/agreement")
def edit_agreement(cohort_id: int):
    cohort = changeable(cohort_run_by(current_user, cohort_id))
    form = AgreementForm()
    if form.validate_on_submit():
        cohort.agreement_md = (form.agreement_md.data or "").strip()
        commit()
        flash("The group agreement is saved.")
    else:
        flash("The group agreement was not saved: " + " ".join(form.agreement_md.errors or ["please try again."]))
    return redirect(url_for("facilitation.cohort", cohort_id=cohort.id))


@bp.app_template_filter("markdown")
def markdown_filter(text: str) -> Markup:
    return Markup(render_markdown(text or ""))  # noqa: S704 - sanitised by nh3


@bp.app_template_filter("meeting_day")
def meeting_day_filter(moment) -> str:
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


@bp.app_template_filter("meeting_time")
def meeting_time_filter(moment) -> str:
    return f"{moment:%A} {moment.day} {moment:%B %Y}, {moment:%H:%M} ({moment.tzinfo})"
