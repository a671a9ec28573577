"""Safety pages around the live session: the crisis resources page participants reach in one tap,
its editing form for organisation administrators, and the neutral page a quick exit lands on."""

import re

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from extensions import db
from facilitation import audit
from facilitation.access import administrator_only, participant_of
from facilitation.models import Cohort, Organisation, Participant
from refusals import Refusal
from sessions.live.identity import current_participant
from sessions.live.models import LiveSession
from sessions.live.operations import open_session_of
from sessions.realtime.plumbing import commit
from sessions.safety.events import ask_for_pause, say_ok_now
from sessions.safety.forms import BLANK_ROWS, CrisisLineForm, CrisisResourcesForm
from sessions.safety.operations import ongoing_signal
from sessions.safety.screens import own_signal_screen

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


# "I need a pause" from the journal pages, which hold no live connection: a post that records the same
# signal through the same operations, and tells the team and the person's own devices once committed.


def _pause_session(public_id: str) -> tuple[Cohort, Participant, LiveSession]:
    cohort, participant = participant_of(public_id)
    if participant.admitted_at is None:
        raise Refusal("waiting")
    live = open_session_of(cohort.id)
    # Between sessions no facilitator is there to answer, as on the group page.
    if live is None or live.status not in ("lobby", "live"):
        raise Refusal("no_session")
    return cohort, participant, live


def _pause_answer(public_id: str, pause: dict | None):
    if request.accept_mimetypes.best == "application/json":
        return jsonify(ok=True, pause=pause)
    back = request.form.get("back", "")
    journal = url_for("journal.journal_page", public_id=public_id)
    return redirect(back if back.startswith(journal) else journal, code=303)


@bp.get("/g/<public_id>/pause")
def pause_status(public_id: str):
    """The person's own request as it stands, for a journal page that waits for a facilitator's answer
    (asked every few seconds while one is open: the page holds no live connection to hear it)."""
    _cohort, participant, live = _pause_session(public_id)
    response = jsonify(ok=True, pause=own_signal_screen(ongoing_signal(live, participant.id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/g/<public_id>/pause")
def pause_from_a_page(public_id: str):
    cohort, participant, live = _pause_session(public_id)
    signal, _new = ask_for_pause(cohort.id, live, participant.id)
    commit()
    return _pause_answer(public_id, own_signal_screen(signal))


@bp.post("/g/<public_id>/pause/ok")
def ok_from_a_page(public_id: str):
    cohort, participant, live = _pause_session(public_id)
    say_ok_now(cohort.id, live, participant.id)
    commit()
    return _pause_answer(public_id, None)


@bp.app_context_processor
def pause_on_pages() -> dict:
    def pause_of(cohort: Cohort) -> dict:
        """For a page's safety bar: whether "I need a pause" can be asked now, and the person's own
        request if one is ongoing (as the live view shows it)."""
        participant = current_participant(cohort)
        live = open_session_of(cohort.id)
        if (
            participant is None
            or participant.admitted_at is None
            or live is None
            or live.status not in ("lobby", "live")
        ):
            return {"open": False, "pause": None}
        return {"open": True, "pause": own_signal_screen(ongoing_signal(live, participant.id))}

    return {"pause_of": pause_of}


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
