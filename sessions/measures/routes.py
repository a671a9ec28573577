"""The facilitators' view of the group's measures, as JSON for the console: every week's aggregates
(only where at least k answered), the cue, and the trends shared with them by name."""

from flask import Blueprint, Response, jsonify
from flask_login import current_user, login_required

from facilitation.access import cohort_run_by
from sessions.measures import operations as measures

bp = Blueprint("measures", __name__)


@bp.after_request
def private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/cohorts/<int:cohort_id>/measures.json")
@login_required
def group_measures(cohort_id: int):
    cohort = cohort_run_by(current_user, cohort_id)
    return jsonify(measures=measures.cohort_measures(cohort.id), shared=measures.shared_trends(cohort.id))
