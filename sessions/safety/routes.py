"""Safety pages around the live session: the crisis resources page participants reach in one tap,
its editing form for organisation administrators, and the neutral page a quick exit lands on."""

import re

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from extensions import db
from facilitation import audit
from facilitation.access import administrator_only
from facilitation.models import Cohort, Organisation
from sessions.realtime.plumbing import commit
from sessions.safety.forms import BLANK_ROWS, CrisisLineForm, CrisisResourcesForm

bp = Blueprint("safety", __name__)

# Emergency numbers are the same for every organisation; a crisis page never waits for one to add them.
EMERGENCY_NUMBERS = (
    ("112", "in most of Europe"),
    ("999", "in the UK"),
    ("911", "in North America"),
    ("000", "in Australia"),
)


@bp.app_template_filter("dial")
def dial(number: str) -> str:
    """A number as a phone dials it (for a tel: link): digits only, with + for a country code, and without
    the trunk zero written in brackets after one ("+44 (0) 20 ..." is dialled +4420...)."""
    number = number.strip()
    if number.startswith("+"):
        return "+" + re.sub(r"\D", "", number.replace("(0)", ""))
    return re.sub(r"\D", "", number)


def crisis_lines(organisation: Organisation | None) -> list[dict[str, str]]:
    """The organisation's lines, each with every field (older entries may lack some)."""
    stored = organisation.crisis_resources if organisation is not None else []
    return [{name: str(line.get(name) or "") for name in CrisisLineForm.FIELDS} for line in stored or []]


def by_country(lines: list[dict[str, str]]) -> list[tuple[str, list[dict[str, str]]]]:
    """Lines grouped by country, in the order the administrator wrote them."""
    groups: dict[str, list[dict[str, str]]] = {}
    for line in lines:
        groups.setdefault(line["country"], []).append(line)
    return list(groups.items())


def _no_store(page: str):
    response = current_app.make_response(page)
    # Nothing about where someone sought help stays in the browser's cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/support")
def support_default():
    """For pages that know no group yet (entering a code): the neutral default only."""
    return _no_store(
        render_template("sessions/support.html", organisation=None, countries=[], emergency_numbers=EMERGENCY_NUMBERS)
    )


@bp.get("/support/<public_id>")
def support(public_id: str):
    """The crisis resources of the organisation running this group. Anyone may read them: someone in
    crisis should never meet a sign-in or an error here, so an unknown group shows the neutral default."""
    cohort = db.session.scalar(select(Cohort).where(Cohort.public_id == public_id[:24]))
    organisation = db.session.get(Organisation, cohort.organisation_id) if cohort is not None else None
    return _no_store(
        render_template(
            "sessions/support.html",
            cohort=cohort,
            organisation=organisation,
            countries=by_country(crisis_lines(organisation)),
            emergency_numbers=EMERGENCY_NUMBERS,
        )
    )


@bp.get("/away")
def away():
    """Where a quick exit lands: a blank, neutral page that says nothing about Mend."""
    return _no_store(render_template("sessions/away.html"))


@bp.route("/organisation/crisis-resources", methods=["GET", "POST"])
@login_required
def edit_crisis_resources():
    administrator_only("Only an administrator of your organisation can change its crisis resources.")
    organisation = current_user.organisation
    form = CrisisResourcesForm()
    if form.validate_on_submit():
        organisation.crisis_resources = form.cleaned()
        audit.record(
            current_user.id, "safety.crisis_resources_edit", details={"lines": len(organisation.crisis_resources)}
        )
        commit()
        current_app.logger.info(
            "crisis resources of organisation %s changed by user %s", organisation.id, current_user.id
        )
        flash("The crisis resources are saved. Participants see them from every page.")
        return redirect(url_for("safety.edit_crisis_resources"))
    if not form.is_submitted():
        lines = crisis_lines(organisation)
        form = CrisisResourcesForm(data={"lines": lines + [{}] * BLANK_ROWS})
    return render_template("facilitation/crisis_resources.html", form=form, organisation=organisation), (
        400 if form.errors else 200
    )
