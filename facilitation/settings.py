"""The organisation's settings, one page for its administrators: k, the default time zone, the
quick-exit address, the waiting room's default, the calendar title, mail (with a test), and the
retention policy (facilitation/retention.py). Every change goes in the audit trail, as before and
after; a form with any bad value changes nothing and says what is wrong."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from extensions import db
from facilitation import audit, mail
from facilitation.access import administrator_only
from facilitation.forms import MailSettingsForm, SettingsForm, timezone_choices
from facilitation.models import Organisation
from sessions.realtime.plumbing import commit
from sessions.records.models import CalendarChoice

bp = Blueprint("settings", __name__)

# The settings form's fields kept on the organisation itself (the calendar choice is its own table).
ORGANISATION_FIELDS = (
    "poll_reveal_threshold",
    "default_timezone",
    "quick_exit_url",
    "waiting_room_default",
    "records_kept_days",
    "journals_kept_days",
    "retention_notice_days",
)
MAIL_FIELDS = ("mail_host", "mail_port", "mail_tls", "mail_username", "mail_from")


@bp.before_request
@login_required
def administrators_only() -> None:
    administrator_only("Only your organisation's administrators can change its settings.")


def _calendar(organisation: Organisation) -> CalendarChoice:
    choice = db.session.get(CalendarChoice, organisation.id)
    if choice is None:
        choice = CalendarChoice(organisation_id=organisation.id, names_group=False)
        db.session.add(choice)
    return choice


def _forms(organisation: Organisation) -> tuple[SettingsForm, MailSettingsForm]:
    posted = request.method == "POST"
    which = request.form.get("form")
    settings = SettingsForm(formdata=None if not posted or which != "settings" else request.form, obj=organisation)
    settings.default_timezone.choices = timezone_choices(organisation.default_timezone, organisation.default_timezone)  # type: ignore[assignment]  # grouped choices: a dict, which the stubs do not know
    if not posted or which != "settings":
        settings.names_group.data = "name" if _calendar(organisation).names_group else "neutral"
    mail_form = MailSettingsForm(formdata=None if not posted or which != "mail" else request.form, obj=organisation)
    return settings, mail_form


def _page(settings: SettingsForm, mail_form: MailSettingsForm, status: int = 200):
    organisation = current_user.organisation
    return render_template(
        "facilitation/settings.html",
        organisation=organisation,
        form=settings,
        mail_form=mail_form,
        password_kept=bool(organisation.mail_password_sealed),
    ), status


@bp.get("/settings")
def settings_page():
    return _page(*_forms(current_user.organisation))


@bp.post("/settings")
def save_settings():
    organisation = current_user.organisation
    settings, mail_form = _forms(organisation)
    if not settings.validate_on_submit():
        return _page(settings, mail_form, 400)
    changed: dict[str, list] = {}
    for name in ORGANISATION_FIELDS:
        value = getattr(settings, name).data
        if name == "quick_exit_url":
            value = value or None
        if getattr(organisation, name) != value:
            changed[name] = [getattr(organisation, name), value]
            setattr(organisation, name, value)
    calendar = _calendar(organisation)
    names_group = settings.names_group.data == "name"
    if calendar.names_group != names_group:
        changed["calendar_names_group"] = [calendar.names_group, names_group]
        calendar.names_group = names_group
    if changed:
        audit.record(current_user.id, "settings.change", details=changed)
        commit()
        flash("The settings are saved.")
    else:
        flash("Nothing was changed.")
    return redirect(url_for("settings.settings_page"))


@bp.post("/settings/mail")
def save_mail():
    """Save the mail settings, or (the "Send me a test" button) try them as typed, saving nothing."""
    organisation = current_user.organisation
    settings, mail_form = _forms(organisation)
    if not mail_form.validate_on_submit():
        return _page(settings, mail_form, 400)
    typed_password = mail_form.mail_password.data or ""
    if request.form.get("action") == "test":
        if not mail_form.mail_host.data:
            mail_form.mail_host.errors = ["Give the mail server to test."]
            return _page(settings, mail_form, 400)
        tls = mail_form.mail_tls.data or "starttls"
        trial = mail.MailSettings(
            host=mail_form.mail_host.data,
            port=mail_form.mail_port.data or mail.DEFAULT_PORTS.get(tls, 587),
            username=mail_form.mail_username.data or "",
            password=typed_password or mail.open_password(organisation.mail_password_sealed) or "",
            sender=mail_form.mail_from.data or "",
            tls=tls,
        )
        problem = mail.test_settings(trial, current_user.email)
        audit.record(
            current_user.id,
            "settings.mail_test",
            target=f"{trial.host}:{trial.port}",
            details={"sent": problem is None},
        )
        commit()
        if problem:
            mail_form.mail_host.errors = [f"The test mail was not sent. {problem} Nothing was saved."]
            return _page(settings, mail_form, 400)
        flash(f"A test mail went to {current_user.email}. Nothing was saved yet: press “Save mail settings”.")
        return _page(settings, mail_form)
    changed: dict[str, list] = {}
    for name in MAIL_FIELDS:
        value = getattr(mail_form, name).data or (None if name != "mail_tls" else "starttls")
        if getattr(organisation, name) != value:
            changed[name] = [getattr(organisation, name), value]
            setattr(organisation, name, value)
    if typed_password:
        organisation.mail_password_sealed = mail.seal_password(typed_password)
        changed["mail_password"] = ["…", "changed"]
    if not organisation.mail_host:
        organisation.mail_password_sealed = None
    if changed:
        audit.record(current_user.id, "settings.change", details=changed)
        commit()
        flash("The mail settings are saved." if organisation.mail_configured else "Mend sends no mail now.")
    else:
        flash("Nothing was changed.")
    return redirect(url_for("settings.settings_page") + "#mail-title")
