"""The facilitator's live pages: open a session plan for a cohort, the console, the projector view."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from extensions import db
from facilitation.access import cohort_run_by, live_session_run_by
from facilitation.models import SessionPlan
from facilitation.views import join_qr, join_url
from refusals import Refusal
from sessions.live import moves
from sessions.live import operations as engine
from sessions.live.screens import queue_state
from sessions.polls.events import after_close
from sessions.realtime.plumbing import commit, rollback

bp = Blueprint("console", __name__)


@bp.before_request
@login_required
def require_login() -> None:
    """Every page here is for signed-in facilitators only."""


@bp.post("/cohorts/<int:cohort_id>/live")
def open_session(cohort_id: int):
    cohort = cohort_run_by(current_user, cohort_id)
    plan_id = request.form.get("session_plan_id", type=int)
    plan = db.session.get(SessionPlan, plan_id) if plan_id else None
    if plan is None:
        raise Refusal("bad_request", "Choose one of the session plans to open. Nothing was changed.")
    try:
        live = engine.open_session(cohort, plan, current_user)
    except Refusal as refusal:
        rollback()
        flash(refusal.message)
        return redirect(url_for("facilitation.cohort", cohort_id=cohort.id))
    queue_state(cohort.id, live)
    commit()
    return redirect(url_for("console.console", live_session_id=live.id))


@bp.post("/live/<int:live_session_id>/end")
def end_session(live_session_id: int):
    """End from the cohort page, for a session left open; the console ends over its socket."""
    live = live_session_run_by(current_user, live_session_id)
    if live.is_open:
        after_close(*moves.end(live, live.version, current_user.id))
        queue_state(live.cohort_id, live)
        commit()
        flash(f"Week {live.session_plan.number} is ended and recorded as run.")
    return redirect(url_for("facilitation.cohort", cohort_id=live.cohort_id))


@bp.get("/live/<int:live_session_id>/console")
def console(live_session_id: int):
    live = live_session_run_by(current_user, live_session_id)
    if not live.is_open:
        flash("That session has ended.")
        return redirect(url_for("facilitation.cohort", cohort_id=live.cohort_id))
    return render_template("sessions/console.html", live=live, cohort=live.cohort)


@bp.get("/live/<int:live_session_id>/projector")
def projector(live_session_id: int):
    live = live_session_run_by(current_user, live_session_id)
    return render_template(
        "sessions/projector.html",
        live=live,
        cohort=live.cohort,
        qr_svg=join_qr(live.cohort, scale=8),
        join_url=join_url(live.cohort),
        home_url=url_for("sessions.home", _external=True),
    )
