"""Participant forms, and the facilitators' forms about who is in the room; CSRF-protected like every
form in Mend."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length


class CodeForm(FlaskForm):
    code = StringField("Join code", validators=[DataRequired(message="Type the code you were given."), Length(max=32)])


class JoinForm(FlaskForm):
    # Length is checked again, with a kinder message, by clean_display_name.
    display_name = StringField("Your name in the group", validators=[Length(max=200)])
    agree = BooleanField(
        "I agree to the group agreement",
        validators=[DataRequired(message="Please read the group agreement and tick the box to join.")],
    )


class EnrolmentForm(FlaskForm):
    enrolment_open = BooleanField("New people can join with the code")
    waiting_room = BooleanField("Newcomers wait until a facilitator lets them in")


class ParticipantForm(FlaskForm):
    """Letting someone in, or removing them: the person is in the address, the form is its CSRF token."""
