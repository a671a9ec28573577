"""Facilitator forms: every field validated, every form CSRF-protected by Flask-WTF."""

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
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TIMEZONES = sorted(available_timezones())
MIN_PASSWORD = 10


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


class AgreementForm(FlaskForm):
    agreement_md = TextAreaField("Group agreement", validators=[DataRequired(), Length(max=5000)])


class RegenerateCodeForm(FlaskForm):
    # The code the facilitator saw: a second click on a stale page changes nothing.
    current_code = HiddenField(validators=[DataRequired()])
