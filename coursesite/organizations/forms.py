"""Organisation forms (every one with CSRF). Addresses and files are read by ``lists``, which reports line numbers."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from coursesite.organizations.lists import MAX_BYTES
from coursesite.organizations.models import ORGANIZATION_NAME_MAX
from coursesite.text import printable_text, stored_length


def _licence_field(field_id: str | None = None) -> SelectField:
    """The licence to invite to; ``field_id`` tells two such fields on one page apart (None: the field's name)."""
    return SelectField("Licence", coerce=int, validators=[InputRequired("Choose a licence.")], id=field_id)


class InviteForm(FlaskForm):
    licence = _licence_field()
    addresses = TextAreaField("Email addresses, one per line", validators=[
        DataRequired("Enter at least one email address."), Length(max=MAX_BYTES),
    ], render_kw={"rows": 6, "autocomplete": "off", "spellcheck": "false"})


class UploadForm(FlaskForm):
    licence = _licence_field("upload-licence")
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")],
                     render_kw={"accept": ".csv,text/csv"})


class RenameForm(FlaskForm):
    name = StringField("Organisation name", validators=[
        DataRequired("Enter the organisation's name."), Length(max=ORGANIZATION_NAME_MAX),
        stored_length(ORGANIZATION_NAME_MAX), printable_text,
    ], render_kw={"autocomplete": "organization"})


class SeatActionForm(FlaskForm):
    """Revoke and resend buttons: nothing but the CSRF token."""


class AcceptForm(FlaskForm):
    """Accepting an invitation: nothing but the CSRF token."""
