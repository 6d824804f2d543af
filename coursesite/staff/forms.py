"""Staff forms: granting and revoking access (with CSRF), and the audit log's filters (a GET form)."""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, Field, Form, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from coursesite.text import EMAIL_MAX

# The audit page's dates: wide enough for any event, narrow enough that date arithmetic never overflows.
FIRST_DATE, LAST_DATE = date(1970, 1, 1), date(2999, 12, 31)


class GrantForm(FlaskForm):
    email = StringField("Learner's email", validators=[DataRequired(), Email(), Length(max=EMAIL_MAX)],
                        render_kw={"autocomplete": "off"})
    module = SelectField("Module", validators=[DataRequired()])
    days = IntegerField("Days of access", default=365,
                        validators=[InputRequired(), NumberRange(min=1, max=3650)])


class RevokeForm(FlaskForm):
    email = HiddenField(validators=[DataRequired(), Email()])
    module = HiddenField(validators=[DataRequired()])


def plausible_date(_form: Form, field: Field) -> None:
    if field.data and not FIRST_DATE <= field.data <= LAST_DATE:
        raise ValidationError(f"Choose a date between {FIRST_DATE.isoformat()} and {LAST_DATE.isoformat()}.")


class PeriodForm(Form):
    """A period for reports and exports (a GET form, so no CSRF token); both days included."""

    date_from = DateField("From", validators=[Optional(), plausible_date])
    date_to = DateField("To", validators=[Optional(), plausible_date])

    def validate_date_to(self, field: Field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date comes before the start date.")


class AuditFilterForm(PeriodForm):
    """The audit page's filters (and the period's dates): a GET form, so no CSRF token."""

    action = SelectField("Action", choices=[], validate_choice=False, validators=[Optional(), Length(max=64)])
    actor = StringField("Actor's email contains", validators=[Optional(), Length(max=EMAIL_MAX)])
    target = StringField("Target: user email or id, or e.g. modules:7", validators=[Optional(), Length(max=EMAIL_MAX)])


class RecordsForm(PeriodForm):
    """Which module's records to download, for which period (a GET form)."""

    module = SelectField("Module", choices=[], validators=[InputRequired("Choose a module.")])
