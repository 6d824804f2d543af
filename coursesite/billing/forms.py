"""Checkout and test-mode card forms (both with CSRF)."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3, after the stubs
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from coursesite.billing.models import ORGANISATION_NAME_MAX, PriceTier
from coursesite.billing.services import (
    CheckoutChoice,
    billed_to_organisation,
    max_quantity,
    organisation_name_missing_message,
)
from coursesite.text import printable_text, stored_length

COUNTRIES = [SelectChoice(code, name) for code, name in (
    ("", "Choose a country"), ("US", "United States"), ("CA", "Canada"), ("GB", "United Kingdom"), ("IE", "Ireland"),
    ("AU", "Australia"), ("NZ", "New Zealand"), ("DE", "Germany"), ("FR", "France"), ("NL", "Netherlands"),
    ("ES", "Spain"), ("IT", "Italy"), ("NO", "Norway"), ("SE", "Sweden"),
)]


class CheckoutForm(FlaskForm):
    """What a buyer chooses; prices are never taken from the form."""

    quantity = IntegerField("Number of seats", validators=[Optional()], render_kw={"inputmode": "numeric"})
    add_certificate = BooleanField("Add the test and certificate")
    organisation_name = StringField("Organisation name", validators=[
        Optional(), Length(max=ORGANISATION_NAME_MAX), stored_length(ORGANISATION_NAME_MAX), printable_text,
    ], render_kw={"autocomplete": "organization"})

    def prepare_for(self, tier: PriceTier) -> CheckoutForm:
        """Label and bound the seat count as the tier does (the browser checks them too)."""
        if tier.per_seat:
            self.quantity.label.text = "Number of students" if tier.code == "teaching" else "Number of seats"
            self.quantity.render_kw = {"inputmode": "numeric", "min": tier.min_quantity, "max": max_quantity(tier)}
        return self

    def validate_for(self, tier: PriceTier) -> bool:
        """Validate, then apply the tier's rules (which fields apply, seat limits) with errors on the fields."""
        valid: bool = self.validate()
        if tier.per_seat:
            low, high = tier.min_quantity, max_quantity(tier)
            if self.quantity.data is None or not low <= self.quantity.data <= high:
                if not self.quantity.errors:
                    self.quantity.errors = [f"Choose between {low} and {high} seats."]
                valid = False
        if billed_to_organisation(tier) and not (self.organisation_name.data or "").strip():
            self.organisation_name.errors = [*self.organisation_name.errors, organisation_name_missing_message(tier)]
            valid = False
        return valid

    def choice(self, tier: PriceTier) -> CheckoutChoice:
        """The choice, once :meth:`validate_for` passed (the service checks it again: no seat count is 0 seats)."""
        return CheckoutChoice(
            quantity=(self.quantity.data or 0) if tier.per_seat else 1,
            add_certificate=bool(self.add_certificate.data) and tier.grants == "access",
            organisation_name=(self.organisation_name.data or "") if billed_to_organisation(tier) else "",
        )


def _card_digits(value: str | None) -> str:
    return re.sub(r"[\s-]", "", value or "")


class TestCardForm(FlaskForm):
    """The TEST MODE checkout page: a test card number and, for organisations, the billing address."""

    __test__ = False

    card_number = StringField("Card number", validators=[InputRequired("Enter the test card number.")],
                              filters=[_card_digits], render_kw={"autocomplete": "off", "inputmode": "numeric"})
    billing_name = StringField("Name on the invoice", validators=[Optional(), Length(max=200)],
                               render_kw={"autocomplete": "name"})
    line1 = StringField("Street address", validators=[Optional(), Length(max=200)],
                        render_kw={"autocomplete": "address-line1"})
    city = StringField("City", validators=[Optional(), Length(max=100)], render_kw={"autocomplete": "address-level2"})
    postal_code = StringField("Postal code", validators=[Optional(), Length(max=20)],
                              render_kw={"autocomplete": "postal-code"})
    country = SelectField("Country", choices=COUNTRIES, validators=[Optional()], render_kw={"autocomplete": "country"})

    def validate_card_number(self, field: Field) -> None:
        if not re.fullmatch(r"\d{16}", field.data or ""):
            raise ValidationError("Enter a 16-digit card number, such as 4242 4242 4242 4242.")

    def check_billing_address(self) -> bool:
        valid = True
        for field in (self.billing_name, self.line1, self.city, self.postal_code, self.country):
            if not (field.data or "").strip():
                field.errors = [*field.errors, f"Enter the {field.label.text.lower()}."]
                valid = False
        return valid

    def address(self) -> dict[str, str]:
        """The billing address, once :meth:`check_billing_address` has found every part filled in."""
        return {"line1": (self.line1.data or "").strip(), "city": (self.city.data or "").strip(),
                "postal_code": (self.postal_code.data or "").strip(), "country": self.country.data or ""}
