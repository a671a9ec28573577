"""The records' forms: the team's session notes, the calendar choice, and a catch-up reflection."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

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
