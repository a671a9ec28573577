"""The records' forms: the team's session notes, the calendar choice, schedule changes, and a catch-up
reflection."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3; the stubs are of 3.2
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from sessions.records.models import NOTES_MAX

REFLECTION_MAX = 20_000


class NotesForm(FlaskForm):
    text = TextAreaField("Session notes", validators=[Length(max=NOTES_MAX)])
    revision = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=2**31)])


class CalendarForm(FlaskForm):
    names_group = BooleanField("Calendar files name the group (otherwise they say “Group meeting”)")


class CatchUpReflectionForm(FlaskForm):
    """One per reflection of the week, its fields prefixed by its step; the page's one CSRF token is
    checked for every POST by CSRFProtect (extensions.py), so the form carries none of its own."""

    class Meta:
        csrf = False

    text = TextAreaField("Your private journal", validators=[Length(max=REFLECTION_MAX)])
    position = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=1000)])
    entry = HiddenField()
    revision = IntegerField(validators=[NumberRange(min=0, max=2**31)], default=0)


class ScheduleForm(FlaskForm):
    """Skip or move one of the group's weekly dates, or add a meeting."""

    action = SelectField(
        "Change",
        choices=[
            SelectChoice("skip", "Skip a date"),
            SelectChoice("move", "Move a date"),
            SelectChoice("add", "Add a meeting"),
        ],
        validators=[InputRequired()],
    )
    regular_date = DateField("The group's date (to skip or move)", validators=[Optional()])
    new_date = DateField("New date (to move or add)", validators=[Optional()])
    new_time = TimeField("At", validators=[Optional()])
