"""Certificate forms: the reflection note (CSRF), the public verification form (GET), the staff's revoke and
reissue (CSRF)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from coursesite.accounts.models import FULL_NAME_MAX
from coursesite.certificates.models import CODE_MAX, REFLECTION_MAX
from coursesite.certificates.services import REASON_MAX
from coursesite.text import printable_text, stored_length


class ReflectionForm(FlaskForm):
    text = TextAreaField("Reflection note", validators=[Length(max=REFLECTION_MAX)], render_kw={"rows": 4})


class VerifyForm(Form):
    """The verification form: a GET form (nothing changes), so no CSRF token. Accepts the code or the whole URL."""

    code = StringField("Certificate code or verification link",
                       validators=[DataRequired("Enter the code printed on the certificate."), Length(max=300)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})


class StaffRevokeForm(FlaskForm):
    reason = StringField("Reason (kept for staff; the public page shows only the date)",
                         validators=[DataRequired("Give a reason."), Length(max=REASON_MAX)])


class ReissueForm(FlaskForm):
    name = StringField("Corrected name", validators=[DataRequired("Give the corrected name."),
                                                     Length(max=FULL_NAME_MAX), printable_text,
                                                     stored_length(FULL_NAME_MAX)])
    reason = StringField("Reason", validators=[DataRequired("Give a reason."), Length(max=REASON_MAX)])


def code_from(typed: str) -> str:
    """The code from what someone typed or pasted: the code itself, or a verification link ending in it."""
    text = typed.strip().rstrip("/")
    code = text.rsplit("/", 1)[-1].split("?", 1)[0].split("#", 1)[0]
    return code[:CODE_MAX + 1]
