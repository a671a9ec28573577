"""The participant's journal pages and JSON endpoints, for the author only.

Every route identifies the author by their rejoin cookie for the cohort in the
path (sessions/live/identity.py); anyone else gets the same "not found" as for an
entry that does not exist. Posts are CSRF-checked like every form (JSON posts
send the token in the X-CSRFToken header). Responses are never cached.
"""

from types import SimpleNamespace
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from extensions import db
from facilitation.access import participant_of
from facilitation.models import Cohort, Participant
from refusals import Refusal
from sessions import scrub
from sessions.journal import operations as journal
from sessions.journal import trends
from sessions.journal.events import announce_excerpts
from sessions.journal.operations import TRIGGER_FIELDS
from sessions.journal.schemas import EntrySubmission
from sessions.live.events import announce_presence
from sessions.live.identity import clear_site_data, cookie_name
from sessions.live.models import Connection
from sessions.measures import operations as measures
from sessions.measures.events import announce_shared
from sessions.realtime import pushes
from sessions.realtime.plumbing import commit, rollback

bp = Blueprint("journal", __name__, url_prefix="/g/<public_id>/journal")

CONFLICT_MESSAGE = (
    "This entry was also changed on another device. Both versions are kept: what you wrote here is saved, "
    "and the other version is kept as a separate entry marked “conflict copy”."
)


@bp.after_request
def private(response: Response) -> Response:
    # Journal text must not linger in a shared device's cache or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(problem: Refusal, status: int = 400):
    rollback()
    status = 404 if problem.code == "not_found" else status
    if request.is_json:
        return jsonify(problem.as_error()), status
    if status == 404:
        raise problem  # the page of a missing one (app.py)
    flash(problem.message)
    # Every page of this blueprint has the group's public id in its address.
    public_id = (request.view_args or {})["public_id"]
    return redirect(request.referrer or url_for("journal.journal_page", public_id=public_id))


@bp.get("")
def journal_page(public_id: str):
    cohort, participant = participant_of(public_id)
    return _page(cohort, participant, "")


@bp.post("/search")
def search(public_id: str):
    # A post, so that the words searched for never appear in a URL (and so in no access log).
    cohort, participant = participant_of(public_id)
    return _page(cohort, participant, request.form.get("q", "")[:200])


def _page(cohort: Cohort, participant: Participant, query: str):
    entries = journal.entries_of(participant, query=query)
    return render_template(
        "sessions/journal.html",
        cohort=cohort,
        participant=participant,
        weeks=journal.by_week(entries),
        query=query,
        week=journal.current_week(cohort, journal.open_session_of(cohort.id)),
        trigger_fields=TRIGGER_FIELDS,
        has_trend=trends.has_scores(participant.id),
        trend_shared=measures.is_shared(participant.id),
    )


@bp.get("/write")
def write(public_id: str):
    cohort, participant = participant_of(public_id)
    kind = "trigger" if request.args.get("kind") == "trigger" else "free"
    return render_template(
        "sessions/journal_entry.html", cohort=cohort, entry=None, kind=kind, trigger_fields=TRIGGER_FIELDS
    )


def _opened(participant: Participant, entry_id: str) -> journal.OpenedEntry:
    try:
        return journal.open_entry(participant, entry_id)
    except Refusal:
        raise Refusal("not_found") from None


@bp.get("/entries/<entry_id>")
def edit(public_id: str, entry_id: str):
    cohort, participant = participant_of(public_id)
    entry = _opened(participant, entry_id)
    return render_template(
        "sessions/journal_entry.html", cohort=cohort, entry=entry, kind=entry.kind, trigger_fields=TRIGGER_FIELDS
    )


def _submitted() -> EntrySubmission:
    """The entry as sent: JSON from the page's script, or the plain form without it."""
    if request.is_json:
        data = request.get_json(silent=True)
    else:
        form = request.form
        revision = form.get("revision", "")
        data = {
            "id": form.get("id") or None,
            "revision": int(revision) if revision.isdigit() else None,
            "kind": form.get("kind", "free"),
            "title": form.get("title", ""),
            "text": form.get("text", ""),
            "fields": {name: form.get(name, "") for name, _label, _hint in TRIGGER_FIELDS if name in form},
        }
    try:
        return EntrySubmission.model_validate(data if isinstance(data, dict) else None)
    except ValidationError:
        raise Refusal("bad_entry") from None


@bp.post("/entries")
def save(public_id: str):
    cohort, participant = participant_of(public_id)
    try:
        data = _submitted()
        arguments: dict[str, Any] = {
            "kind": data.kind,
            "title": data.title,
            "text": data.text,
            "fields": data.fields,
            "entry_id": data.id,
            "base_revision": data.revision,
            "reflection": (data.reflection.session, data.reflection.position) if data.reflection else None,
        }
        try:
            saved = journal.save_entry(participant, **arguments)
            commit()
        except (StaleDataError, IntegrityError):
            # Another device saved the same entry (or made the same first key) this very moment:
            # save again, now as a conflict.
            rollback()
            reloaded = db.session.get(Participant, participant.id)
            if reloaded is None:
                # They deleted their place in the group, on another device, this very moment.
                raise Refusal("not_found") from None
            saved = journal.save_entry(reloaded, **arguments)
            commit()
    except Refusal as problem:
        if request.is_json or problem.code == "not_found":
            return _refused(problem, problem.status)
        return _form_again(cohort, problem, problem.status)
    message = CONFLICT_MESSAGE if saved.conflict_copy_id else None
    if request.is_json:
        return jsonify(ok=True, entry=saved.entry.as_json(), conflict_copy=saved.conflict_copy_id, message=message)
    flash(message or "Saved to your journal.")
    return redirect(url_for("journal.edit", public_id=public_id, entry_id=saved.entry.id))


def _form_again(cohort: Cohort, problem: Refusal, status: int):
    """The editor again with what was typed and why it was not saved: refused text is never thrown away."""
    rollback()
    form = request.form
    kind = form.get("kind", "")
    kind = kind if kind in journal.KIND_LABELS else "free"
    typed = SimpleNamespace(
        id=form.get("id", ""),
        revision=form.get("revision", ""),
        kind=kind,
        title=form.get("title", ""),
        text=form.get("text", ""),
        fields={name: form.get(name, "") for name, _label, _hint in TRIGGER_FIELDS},
        heading=form.get("title") or journal.KIND_LABELS[kind],
        conflict_of_id=None,
    )
    flash(problem.message)
    page = render_template(
        "sessions/journal_entry.html", cohort=cohort, entry=typed, kind=kind, trigger_fields=TRIGGER_FIELDS
    )
    return page, status


@bp.get("/reflection")
def reflection(public_id: str):
    """The author's entry for a reflection step of a live session, if they have written one."""
    cohort, participant = participant_of(public_id)
    try:
        live, step = journal.reflection_step(
            cohort, request.args.get("session", -1, type=int), request.args.get("position", -1, type=int)
        )
    except Refusal as problem:
        return _refused(problem, 404)
    entry = journal.reflection_entry(participant, live, step)
    opened = journal.open_entry(participant, entry.id) if entry else None
    return jsonify(ok=True, entry=opened.as_json() if opened else None)


@bp.post("/entries/<entry_id>/delete")
def delete_entry(public_id: str, entry_id: str):
    _cohort, participant = participant_of(public_id)
    try:
        journal.delete_entry(participant, entry_id)
    except Refusal as problem:
        return _refused(problem)
    pushes.after_commit(lambda: scrub.soon(scrub.ENTRY_TABLES))
    commit()
    flash("The entry is deleted.")
    return redirect(url_for("journal.journal_page", public_id=public_id))


@bp.route("/entries/<entry_id>/share", methods=["GET", "POST"])
def share(public_id: str, entry_id: str):
    cohort, participant = participant_of(public_id)
    entry = _opened(participant, entry_id)
    if request.method == "POST":
        try:
            journal.share_excerpt(participant, entry_id, request.form.get("excerpt", ""))
        except Refusal as problem:
            return _refused(problem)
        announce_excerpts(cohort.id)
        commit()
        flash(
            "Your excerpt went to the facilitator without your name. It appears in the group only if they show it. "
            "Your entry itself stays private."
        )
        return redirect(url_for("journal.journal_page", public_id=public_id))
    suggestion = entry.text or "\n".join(entry.fields.values())
    return render_template(
        "sessions/journal_share.html",
        cohort=cohort,
        entry=entry,
        suggestion=suggestion[: journal.MAX_EXCERPT_CHARACTERS],
        limit=journal.MAX_EXCERPT_CHARACTERS,
    )


@bp.get("/trend.json")
def own_trend(public_id: str):
    """The author's own answers to the programme's measures, for their chart: nobody else's."""
    _cohort, participant = participant_of(public_id)
    return jsonify(trend=trends.trend_of(participant.id), shared=measures.is_shared(participant.id))


@bp.post("/trend/share")
def share_trend(public_id: str):
    cohort, participant = participant_of(public_id)
    measures.share_trend(participant)
    announce_shared(cohort.id)
    commit()
    flash(
        "Your facilitators can now see your answers over the weeks, with your name. You can withdraw this at any time."
    )
    return redirect(url_for("journal.journal_page", public_id=public_id) + "#my-answers")


@bp.post("/trend/withdraw")
def withdraw_trend(public_id: str):
    cohort, participant = participant_of(public_id)
    measures.withdraw_trend(participant)
    announce_shared(cohort.id)
    pushes.after_commit(lambda: scrub.soon(scrub.SHARED_TREND_TABLES))
    commit()
    flash("Withdrawn. Your facilitators' copy of your answers is deleted; your own copy stays in your journal.")
    return redirect(url_for("journal.journal_page", public_id=public_id) + "#my-answers")


@bp.get("/export.md")
def export_markdown(public_id: str):
    _cohort, participant = participant_of(public_id)
    return Response(
        journal.export_markdown(participant),
        mimetype="text/markdown",
        headers={"Content-Disposition": 'attachment; filename="my-journal.md"'},
    )


@bp.get("/print")
def printable(public_id: str):
    cohort, participant = participant_of(public_id)
    return render_template(
        "sessions/journal_print.html",
        cohort=cohort,
        participant=participant,
        weeks=sorted(journal.by_week(journal.entries_of(participant))),
        trigger_fields=TRIGGER_FIELDS,
    )


@bp.route("/delete", methods=["GET", "POST"])
def delete_everything(public_id: str):
    cohort, participant = participant_of(public_id)
    if request.method == "GET":
        return render_template("sessions/journal_delete.html", cohort=cohort, participant=participant)
    sids = list(db.session.scalars(select(Connection.sid).where(Connection.participant_id == participant.id)))
    journal.delete_everything(participant)
    # Their other open pages lose their connection: there is nobody left for them to be.
    for sid in sids:
        pushes.queue_disconnect(sid)
    pushes.after_commit(lambda: scrub.soon(scrub.JOURNAL_TABLES))
    commit()
    announce_presence(cohort.id)
    flash("Your journal and your place in the group are deleted. This cannot be undone.")
    response = make_response(redirect(url_for("sessions.home")))
    response.delete_cookie(cookie_name(cohort), path="/")
    # Poll answers and receipts this browser kept go too.
    return clear_site_data(response)
