"""The facilitator's live pages: open a session plan for a cohort, the console, the projector view and
the projector link that pairs a screen in the room with one cohort."""

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from extensions import db
from facilitation.access import cohort_run_by, live_session_run_by
from facilitation.models import Cohort, SessionPlan
from facilitation.views import changeable
from refusals import Refusal
from sessions.live import identity, moves
from sessions.live import operations as engine
from sessions.live.routes import projector_context
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
    cohort = changeable(cohort_run_by(current_user, cohort_id))
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
    return render_template("sessions/projector.html", live=live, cohort=live.cohort, **projector_context(live.cohort))


# The projector link (sessions/live/identity.py): made here, shown once, and revoked here.


def _back(cohort: Cohort):
    """Back where the facilitator pressed the button: the console of the open session, or the cohort page."""
    live = engine.open_session_of(cohort.id)
    if request.form.get("back") == "console" and live is not None:
        return url_for("console.console", live_session_id=live.id)
    return url_for("facilitation.cohort", cohort_id=cohort.id)


@bp.post("/cohorts/<int:cohort_id>/projector-link")
def make_projector_link(cohort_id: int):
    """A new projector link, shown once in the answer to this post; the previous link or paired screen stops."""
    cohort = cohort_run_by(current_user, cohort_id)
    secret = identity.make_projector_link(cohort)
    commit()
    page = render_template(
        "sessions/projector_link_made.html",
        cohort=cohort,
        projector_url=url_for("sessions.projector_link", secret=secret, _external=True),
        back=_back(cohort),
    )
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/cohorts/<int:cohort_id>/projector-link/revoke")
def revoke_projector_link(cohort_id: int):
    cohort = cohort_run_by(current_user, cohort_id)
    identity.revoke_projector(cohort)
    commit()
    flash("The projector link is revoked: a screen paired with it stops showing the group now.")
    return redirect(_back(cohort))
