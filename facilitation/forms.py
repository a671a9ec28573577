"""Facilitator forms: every field validated, every form CSRF-protected by Flask-WTF."""

from datetime import date, timedelta
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3; the stubs are of 3.2
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional, ValidationError

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TIMEZONES = sorted(available_timezones())
MIN_PASSWORD = 10


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


class CohortForm(FlaskForm):
    name = StringField("Group name", validators=[DataRequired(), Length(max=120)])
    programme = SelectField("Programme", coerce=int, validators=[InputRequired()])
    facilitators = SelectMultipleField("Facilitators", coerce=int, validators=[DataRequired()])
    start_date = DateField("First week starts on", validators=[DataRequired()])
    weekday = SelectField(
        "Meets on",
        coerce=int,
        choices=[SelectChoice(n, day) for n, day in enumerate(WEEKDAYS)],
        validators=[InputRequired()],
    )
    start_time = TimeField("At", validators=[DataRequired()])
    timezone = SelectField("Time zone", choices=[SelectChoice(zone) for zone in TIMEZONES], validators=[DataRequired()])

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
