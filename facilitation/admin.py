"""The organisation administrators' pages: the people of the organisation and the audit trail.

Every page here asks `administrator_only` first, and shows only the administrator's own
organisation: another organisation's person or entry is not found, never hinted at.
"""

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3; the stubs are of 3.2

from extensions import db
from facilitation import audit, mail, people
from facilitation.access import administrator_only
from facilitation.forms import AuditFilterForm, ConfirmForm, InviteForm, RoleForm
from facilitation.models import AccountLink, AuditEntry, Cohort, User
from refusals import Refusal
from sessions.realtime.plumbing import commit

bp = Blueprint("admin", __name__, url_prefix="/admin")

# The page shows the newest entries matching the filters; the CSV holds all of them.
PAGE_ENTRIES = 200
CSV_COLUMNS = ("time_utc", "person", "email", "action", "description", "cohort_id", "cohort", "target", "details")


@bp.before_request
@login_required
def administrators_only() -> None:
    administrator_only("Only your organisation's administrators can see this page.")


def _colleagues() -> list[User]:
    return list(
        db.session.scalars(select(User).where(User.organisation_id == current_user.organisation_id).order_by(User.name))
    )


def _cohorts() -> list[Cohort]:
    return list(
        db.session.scalars(
            select(Cohort).where(Cohort.organisation_id == current_user.organisation_id).order_by(Cohort.name)
        )
    )


# People


def _people_page(invite_form: InviteForm | None = None, status: int = 200):
    organisation = current_user.organisation
    everyone = people.people_of(organisation.id)
    return render_template(
        "admin/people.html",
        organisation=organisation,
        people=everyone,
        invitations=people.open_invitations(organisation.id),
        invite_form=invite_form or InviteForm(),
        role_forms={person.id: RoleForm(role=person.role, prefix=f"person-{person.id}") for person in everyone},
        confirm=ConfirmForm(),
        mail_configured=organisation.mail_configured,
    ), status


@bp.get("/people")
def people_page():
    return _people_page()


def _mail_link(link: AccountLink, url: str) -> bool:
    """Mail an invitation or reset link when the organisation sends mail; False when it does not."""
    template = "admin/mail_invitation.txt" if link.kind == "invitation" else "auth/mail_reset.txt"
    subject = (
        f"You are invited to {current_user.organisation.name} on Mend"
        if link.kind == "invitation"
        else "Choose a new Mend password"
    )
    body = render_template(template, link=link, user=link.user, inviter=current_user, url=url)
    return mail.send(current_user.organisation, link.email, subject, body)


def _link_issued(link: AccountLink, token: str):
    endpoint = "auth.accept_invitation" if link.kind == "invitation" else "auth.reset_password"
    url = url_for(endpoint, token=token, _external=True)
    mailed = _mail_link(link, url)
    commit()
    response = Response(render_template("admin/link_issued.html", link=link, url=url, mailed=mailed))
    # The page holds a working link: it stays out of the browser's cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/people/invite")
def invite():
    form = InviteForm()
    if not form.validate_on_submit():
        return _people_page(form, 400)
    try:
        link, token = people.invite(current_user, form.email.data, form.role.data)
    except Refusal as refusal:
        form.email.errors = [refusal.message]
        return _people_page(form, 400)
    return _link_issued(link, token)


@bp.post("/invitations/<int:link_id>/withdraw")
def withdraw_invitation(link_id: int):
    if not ConfirmForm().validate_on_submit():
        raise Refusal("bad_request")
    link = people.withdraw_invitation(current_user, link_id)
    commit()
    flash(f"The invitation to {link.email} is withdrawn; its link no longer works.")
    return redirect(url_for("admin.people_page"))


def _change_person(person: User, form, change: Callable[..., None], *arguments, done: str):
    """An administrator's `change(admin, person, *arguments)` to a colleague's account, from the people
    page and back to it with a sentence: what was done, or why it could not be."""
    if not form.validate_on_submit():
        raise Refusal("bad_request")
    try:
        change(current_user, person, *arguments)
    except Refusal as refusal:
        flash(refusal.message)
        return redirect(url_for("admin.people_page"))
    commit()
    flash(done.format(name=person.name, role="an administrator" if person.is_admin else "a facilitator"))
    return redirect(url_for("admin.people_page"))


@bp.post("/people/<int:user_id>/role")
def change_role(user_id: int):
    person = people.colleague_of(current_user, user_id)
    form = RoleForm(prefix=f"person-{person.id}")
    return _change_person(person, form, people.change_role, form.role.data, done="{name} is now {role}.")


@bp.post("/people/<int:user_id>/deactivate")
def deactivate(user_id: int):
    person = people.colleague_of(current_user, user_id)
    done = "{name} is deactivated: signed out everywhere, and unable to sign in until reactivated."
    return _change_person(person, ConfirmForm(), people.deactivate, done=done)


@bp.post("/people/<int:user_id>/reactivate")
def reactivate(user_id: int):
    person = people.colleague_of(current_user, user_id)
    return _change_person(
        person, ConfirmForm(), people.reactivate, done="{name} can sign in again with their password."
    )


@bp.post("/people/<int:user_id>/reset-link")
def reset_link(user_id: int):
    person = people.colleague_of(current_user, user_id)
    if not ConfirmForm().validate_on_submit():
        raise Refusal("bad_request")
    if not person.is_active:
        flash(f"{person.name} is deactivated. Reactivate them first.")
        return redirect(url_for("admin.people_page"))
    link, token = people.issue_reset(person, by=current_user)
    return _link_issued(link, token)


# The audit trail


def _audit_filters() -> tuple[AuditFilterForm, dict, list[Cohort]]:
    """The filter form, read from the query, and the filters it gives `audit.entries`."""
    form = AuditFilterForm(request.args)
    cohorts = _cohorts()
    form.person.choices = [SelectChoice(None, "Anyone")] + [
        SelectChoice(u.id, f"{u.name} ({u.email})") for u in _colleagues()
    ]
    form.action.choices = [SelectChoice("", "Any action")] + [
        SelectChoice(name, sentence) for name, sentence in sorted(audit.ACTIONS.items(), key=lambda item: item[1])
    ]
    form.cohort.choices = [SelectChoice(None, "Any cohort")] + [SelectChoice(c.id, c.name) for c in cohorts]
    if request.args and not form.validate():
        return form, {}, cohorts
    filters = {
        "actor_id": form.person.data,
        "action": form.action.data or None,
        "cohort_id": form.cohort.data,
        "since": datetime.combine(form.since.data, time(), UTC) if form.since.data else None,
        "until": datetime.combine(form.until.data + timedelta(days=1), time(), UTC) if form.until.data else None,
    }
    return form, filters, cohorts


@bp.get("/audit")
def audit_trail():
    form, filters, cohorts = _audit_filters()
    valid = not form.errors
    shown = (
        list(db.session.scalars(audit.entries(current_user.organisation_id, **filters).limit(PAGE_ENTRIES + 1)))
        if valid
        else []
    )
    return render_template(
        "admin/audit.html",
        form=form,
        entries=shown[:PAGE_ENTRIES],
        more=len(shown) > PAGE_ENTRIES,
        cohort_names={c.id: c.name for c in cohorts},
        describe=audit.describe,
        query=request.query_string.decode(),
    ), 200 if valid else 400


def _safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: one starting with a formula character is prefixed."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/audit.csv")
def audit_csv():
    form, filters, cohorts = _audit_filters()
    if form.errors:
        return audit_trail()
    names = {c.id: c.name for c in cohorts}
    matching: list[AuditEntry] = list(db.session.scalars(audit.entries(current_user.organisation_id, **filters)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry in matching:
        writer.writerow(
            _safe_cell(value)
            for value in (
                entry.at.strftime("%Y-%m-%d %H:%M:%S"),
                entry.actor.name if entry.actor else "",
                entry.actor.email if entry.actor else "",
                entry.action,
                audit.describe(entry.action),
                entry.cohort_id or "",
                names.get(entry.cohort_id, "") if entry.cohort_id else "",
                entry.target or "",
                _details_text(entry.details),
            )
        )
    audit.record(current_user.id, "audit.export", details={"entries": len(matching), **_filters_named(filters)})
    commit()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="audit-trail-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


def _filters_named(filters: dict) -> dict:
    named = {key: value for key, value in filters.items() if value is not None}
    for moment in ("since", "until"):
        if moment in named:
            named[moment] = named[moment].date().isoformat()
    return named


def _details_text(details: dict | None) -> str:
    if not details:
        return ""
    return "; ".join(f"{key}: {_value_text(value)}" for key, value in sorted(details.items()))


def _value_text(value: object) -> str:
    if isinstance(value, list) and len(value) == 2:
        return f"{value[0]} → {value[1]}"
    return str(value)


@bp.app_template_filter("audit_details")
def audit_details_filter(details: dict | None) -> str:
    return _details_text(details)
