"""Facilitator forms: every field validated, every form CSRF-protected by Flask-WTF."""

import re
from datetime import date, timedelta
from functools import cache
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3; the stubs are of 3.2
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from facilitation.models.organisations import MIN_REVEAL_THRESHOLD

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MIN_PASSWORD = 10
# Time zones people live in: Area/City names ("Europe/London"), never "Factory", "localtime", "EST5EDT"
# or "Etc/GMT+3", which name no place anyone would choose.
PLACE_ZONE = re.compile(
    r"^(Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific)/[A-Z][A-Za-z_-]+(/[A-Z][A-Za-z_-]+)?$"
)
# Offered first, before every zone: the organisation's own area's zones come first of all.
LIKELY_ZONES = (
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Athens",
    "Africa/Johannesburg",
    "Africa/Lagos",
    "Africa/Nairobi",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Vancouver",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Perth",
    "Pacific/Auckland",
)
RETENTION_DAYS_MAX = 36_500


@cache
def place_zones() -> tuple[str, ...]:
    return tuple(sorted(zone for zone in available_timezones() if PLACE_ZONE.match(zone)))


def zone_label(zone: str) -> str:
    area, _, city = zone.partition("/")
    return f"{city.replace('_', ' ').replace('/', ', ')} ({area})"


def timezone_choices(near: str | None = None, keep: str | None = None) -> dict[str, list[SelectChoice]]:
    """The time-zone list, grouped: likely zones first (those of `near`'s area before the others), then
    every place zone. `keep` (a cohort's current zone) stays choosable even if it is not a place zone."""
    zones = place_zones()
    area = (near or "").partition("/")[0]
    likely = sorted((z for z in LIKELY_ZONES if z in zones), key=lambda z: (z.partition("/")[0] != area, zone_label(z)))
    if near in zones and near not in likely:
        likely.insert(0, near)
    if keep and keep not in zones and keep not in likely and keep in available_timezones():
        likely.insert(0, keep)
    return {
        "Likely": [SelectChoice(zone, zone_label(zone)) for zone in likely],
        "Every time zone": [SelectChoice(zone, zone_label(zone)) for zone in zones if zone not in likely],
    }


def _optional_int(value: object) -> int | None:
    """A select's value as a number, or None for "any" (an empty value)."""
    if value in (None, "", "None"):
        return None
    return int(value)  # type: ignore[call-overload]  # a select's raw value: a string or a number


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])
    new = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200, message="Use at least 10 characters.")],
    )
    confirm = PasswordField(
        "New password again", validators=[DataRequired(), EqualTo("new", message="The two passwords differ.")]
    )


class ScheduleFields(FlaskForm):
    """Name, facilitators, schedule and meeting place: what creating and editing a cohort share."""

    name = StringField("Group name", validators=[DataRequired(), Length(max=120)])
    # A multi-select without JavaScript; static/js/picker.js makes it a searchable combobox.
    facilitators = SelectMultipleField(
        "Facilitators", coerce=int, validators=[DataRequired(message="Choose at least one facilitator.")]
    )
    start_date = DateField("First week starts on", validators=[DataRequired()])
    weekday = SelectField(
        "Meets on",
        coerce=int,
        choices=[SelectChoice(n, day) for n, day in enumerate(WEEKDAYS)],
        validators=[InputRequired()],
    )
    start_time = TimeField("At", validators=[DataRequired()])
    timezone = SelectField("Time zone", validators=[DataRequired()])
    meeting_place = StringField("Where the group meets", validators=[Optional(), Length(max=500)])

    def validate_start_date(self, field: DateField) -> None:
        """The first week is on the meeting day: a date on another day is refused, naming the two
        meeting days either side of it, so that the facilitator says which one is meant."""
        chosen, weekday = field.data, self.weekday.data
        if chosen is None or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            return
        if not date(2000, 1, 1) <= chosen <= date(2100, 12, 31):
            raise ValidationError("Please give a date between the years 2000 and 2100.")
        if chosen.weekday() == weekday:
            return
        before = chosen - timedelta(days=(chosen.weekday() - weekday) % 7)
        after = before + timedelta(weeks=1)
        raise ValidationError(
            f"{chosen:%A} {chosen.day} {chosen:%B %Y} is not a {WEEKDAYS[weekday]}, the day the group meets. "
            f"Did you mean {before:%A} {before.day} {before:%B} or {after:%A} {after.day} {after:%B}? "
            "Or change the meeting day."
        )


class CohortForm(ScheduleFields):
    programme = SelectField("Programme", coerce=int, validators=[InputRequired()])


class CohortEditForm(ScheduleFields):
    """Editing a cohort: the same fields as creating one, without the programme (its sessions, once
    run, belong to it)."""


class ArchiveForm(FlaskForm):
    """Archive ("1") or bring back ("0") a cohort."""

    archive = HiddenField(validators=[DataRequired()])


def web_address(value: str) -> str:
    """An absolute http(s) address with a host, or ValueError saying what is wrong."""
    value = value.strip()
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise ValueError("An address has no spaces in it.")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or "." not in parts.hostname.strip("."):
        raise ValueError("Give a whole web address, starting with https://, for example https://www.bbc.co.uk/weather.")
    return value


class SettingsForm(FlaskForm):
    """The organisation's settings (facilitation/settings.py)."""

    poll_reveal_threshold = IntegerField(
        "Fewest answers before a poll's results are shown (k)",
        validators=[
            InputRequired(message="Give a number of answers, 3 or more."),
            NumberRange(
                min=MIN_REVEAL_THRESHOLD,
                max=100,
                message=f"k must be at least {MIN_REVEAL_THRESHOLD} (and at most 100): "
                "below 3, a result can give away what one person answered.",
            ),
        ],
    )
    default_timezone = SelectField("Time zone for new cohorts", validators=[DataRequired()])
    quick_exit_url = StringField("Quick exit goes to", validators=[Optional(), Length(max=500)])
    waiting_room_default = BooleanField("New cohorts start with the waiting room on")
    names_group = SelectField(
        "Calendar files participants download are titled",
        choices=[SelectChoice("neutral", "“Group meeting”"), SelectChoice("name", "The group's name")],
        validators=[DataRequired()],
    )
    records_kept_days = IntegerField(
        "Keep reports and attendance for (days after the last meeting)",
        validators=[
            Optional(),
            NumberRange(min=1, max=RETENTION_DAYS_MAX, message="Give a number of days, 1 or more."),
        ],
    )
    journals_kept_days = IntegerField(
        "Keep participants' journals and places for (days after the last meeting)",
        validators=[
            Optional(),
            NumberRange(min=1, max=RETENTION_DAYS_MAX, message="Give a number of days, 1 or more."),
        ],
    )
    retention_notice_days = IntegerField(
        "Tell participants this many days before their journal is deleted",
        validators=[InputRequired(), NumberRange(min=0, max=365, message="Give a number of days from 0 to 365.")],
    )

    def validate_quick_exit_url(self, field: StringField) -> None:
        if field.data:
            try:
                field.data = web_address(field.data)
            except ValueError as problem:
                raise ValidationError(str(problem)) from None


class AgreementForm(FlaskForm):
    agreement_md = TextAreaField("Group agreement", validators=[DataRequired(), Length(max=5000)])


class RegenerateCodeForm(FlaskForm):
    # The code the facilitator saw: a second click on a stale page changes nothing.
    current_code = HiddenField(validators=[DataRequired()])


class AuditFilterForm(FlaskForm):
    """The audit trail's filters, sent as a GET query (a search changes nothing, so needs no token)."""

    class Meta:
        csrf = False

    person = SelectField("Person", coerce=_optional_int, default=None)
    action = SelectField("Action", default="")
    cohort = SelectField("Cohort", coerce=_optional_int, default=None)
    since = DateField("From", validators=[Optional()])
    until = DateField("To (inclusive)", validators=[Optional()])

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date is before the start date.")


ROLE_CHOICES = [SelectChoice("facilitator", "Facilitator"), SelectChoice("admin", "Administrator")]


def _new_password(label: str = "Password") -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200, message="Use at least 10 characters.")],
    )


class InviteForm(FlaskForm):
    email = EmailField(
        "Email", validators=[DataRequired(), Email(message="This is not an email address."), Length(max=254)]
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default="facilitator", validators=[DataRequired()])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


class AcceptInvitationForm(FlaskForm):
    name = StringField(
        "Your name", validators=[DataRequired(), Length(max=80)], description="Shown to colleagues and participants."
    )
    password = _new_password()
    confirm = PasswordField(
        "Password again", validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")]
    )


class NewPasswordForm(FlaskForm):
    password = _new_password("New password")
    confirm = PasswordField(
        "New password again", validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")]
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


class MailSettingsForm(FlaskForm):
    """The organisation's SMTP server (facilitation/mail.py): a server and a sender, or neither (no
    mail). The password field is never filled in again: left empty, the stored password stays.
    (An empty field skips its own checks, so each of the two checks that the other is there.)"""

    mail_host = StringField("Mail server", validators=[Optional(), Length(max=255)])
    mail_port = IntegerField(
        "Port", validators=[Optional(), NumberRange(min=1, max=65535, message="A port is a number from 1 to 65535.")]
    )
    mail_tls = SelectField(
        "Encryption",
        choices=[
            SelectChoice("starttls", "STARTTLS (usually port 587)"),
            SelectChoice("ssl", "TLS from the start (usually port 465)"),
            SelectChoice("none", "None (only for a server on this machine)"),
        ],
        validators=[DataRequired()],
    )
    mail_username = StringField("Username", validators=[Optional(), Length(max=255)])
    mail_password = PasswordField("Password", validators=[Optional(), Length(max=255)])
    mail_from = EmailField("Send from", validators=[Optional(), Length(max=254)])

    def validate_mail_host(self, field: StringField) -> None:
        host = (field.data or "").strip()
        field.data = host
        if host and not HOSTNAME.match(host):
            raise ValidationError(
                "This is not a mail server's name: give a host name such as smtp.example.org, without "
                "“smtp://” or a port."
            )
        if host and not (self.mail_from.data or "").strip():
            raise ValidationError("Give the address mail is sent from (below) as well, such as mend@example.org.")

    def validate_mail_from(self, field: EmailField) -> None:
        sender = (field.data or "").strip()
        field.data = sender
        if sender and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", sender):
            raise ValidationError("Give the address mail is sent from, such as mend@example.org.")
        if not (self.mail_host.data or "").strip():
            raise ValidationError("Give the mail server as well, or leave “Send from” empty to send no mail.")
