"""The organisation administrator's form for crisis resources: lines by country, each checked."""

import re

from flask_wtf import FlaskForm
from wtforms import Form, FormField, StringField
from wtforms.fields import FieldList
from wtforms.validators import Length, ValidationError

MAX_LINES = 40
BLANK_ROWS = 3
PHONE = re.compile(r"^\+?\(?[0-9][0-9 ()\-.]{1,28}$")


def _at_most(characters: int, what: str) -> Length:
    return Length(max=characters, message=f"Keep {what} to {characters} characters or fewer.")


class CrisisLineForm(Form):
    """One line of help. A row left wholly empty is ignored."""

    country = StringField("Country or region", validators=[_at_most(60, "the country or region")])
    name = StringField("Name", validators=[_at_most(120, "the name")])
    phone = StringField("Phone", validators=[_at_most(30, "the phone number")])
    text = StringField("Text or chat", validators=[_at_most(120, "the text or chat line")])
    url = StringField("Website", validators=[_at_most(300, "the website address")])
    notes = StringField("Notes (hours, who it is for)", validators=[_at_most(300, "the notes")])

    FIELDS = ("country", "name", "phone", "text", "url", "notes")

    def as_line(self) -> dict[str, str]:
        return {name: " ".join((self[name].data or "").split()) for name in self.FIELDS}

    def is_blank(self) -> bool:
        return not any(self.as_line().values())

    def validate_country(self, field) -> None:
        if not self.is_blank() and not self.as_line()["country"]:
            raise ValidationError(
                "Say which country or region this line serves (for example “United Kingdom” or “Anywhere”)."
            )

    def validate_name(self, field) -> None:
        if not self.is_blank() and not self.as_line()["name"]:
            raise ValidationError("Give the line's name, as people would look it up.")

    def validate_phone(self, field) -> None:
        line = self.as_line()
        if not self.is_blank() and not (line["phone"] or line["text"] or line["url"]):
            raise ValidationError("Give at least a phone number, a text or chat line, or a website.")
        if line["phone"] and not PHONE.match(line["phone"]):
            raise ValidationError("Write the number with digits, spaces, dashes or brackets, and + for a country code.")

    def validate_url(self, field) -> None:
        url = self.as_line()["url"]
        if url and not re.match(r"^https?://[^\s/$.?#][^\s]*$", url):
            raise ValidationError("Give the full address, starting with https://.")


class CrisisResourcesForm(FlaskForm):
    # Rows beyond the limit are not read: the list stays short enough to find the right line quickly.
    lines = FieldList(FormField(CrisisLineForm), min_entries=1, max_entries=MAX_LINES + BLANK_ROWS)

    def cleaned(self) -> list[dict[str, str]]:
        return [entry.form.as_line() for entry in self.lines if not entry.form.is_blank()]
