"""Account forms. Every field has a length limit; the rules themselves live in the topic modules, passwords and
coursesite.text."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Field, Form, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from coursesite.accounts.models import (
    FULL_NAME_MAX,
    LICENCE_JURISDICTION_MAX,
    LICENCE_NUMBER_MAX,
    PROFESSION_MAX,
)
from coursesite.accounts.passwords import PASSWORD_MAX, PASSWORD_MIN, password_problem
from coursesite.accounts.profile import Profile
from coursesite.text import EMAIL_MAX, printable_text, stored_length, valid_email


def acceptable_password(email_field: str | None = None) -> Callable[[Form, Field], None]:
    def check(form: Form, field: Field) -> None:
        email = getattr(form, email_field).data if email_field else ""
        problem = password_problem(field.data or "", email or "")
        if problem:
            raise ValidationError(problem)
    return check


def email_field(label: str = "Email address") -> EmailField:
    return EmailField(label, validators=[DataRequired("Enter your email address."), Length(max=EMAIL_MAX),
                                         valid_email], render_kw={"autocomplete": "email"})


def new_password_field(label: str, email_field_name: str | None = None) -> PasswordField:
    return PasswordField(label, validators=[DataRequired("Choose a password."),
                                            Length(min=PASSWORD_MIN, max=PASSWORD_MAX),
                                            acceptable_password(email_field_name)],
                         render_kw={"autocomplete": "new-password"})


def repeat_password_field(of: str) -> PasswordField:
    return PasswordField("Repeat the password", validators=[DataRequired("Repeat the password."),
                                                           EqualTo(of, "The two passwords differ.")],
                         render_kw={"autocomplete": "new-password"})


def current_password_field(label: str = "Current password") -> PasswordField:
    return PasswordField(label, validators=[DataRequired("Enter your password."), Length(max=PASSWORD_MAX)],
                         render_kw={"autocomplete": "current-password"})


class ProfileFields(FlaskForm):
    full_name = StringField("Full name, exactly as it should appear on your certificates", validators=[
        DataRequired("Enter your full name."), Length(max=FULL_NAME_MAX), stored_length(FULL_NAME_MAX),
        printable_text,
    ], render_kw={"autocomplete": "name"})
    profession = StringField("Profession", validators=[
        DataRequired("Enter your profession, e.g. clinical psychologist."), Length(max=PROFESSION_MAX),
        stored_length(PROFESSION_MAX), printable_text,
    ], render_kw={"autocomplete": "organization-title"})
    licence_number = StringField("Licence number (optional)", validators=[
        Optional(), Length(max=LICENCE_NUMBER_MAX), stored_length(LICENCE_NUMBER_MAX), printable_text,
    ])
    licence_jurisdiction = StringField("Issuing jurisdiction (optional)", validators=[
        Optional(), Length(max=LICENCE_JURISDICTION_MAX), stored_length(LICENCE_JURISDICTION_MAX), printable_text,
    ])

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        """Field validators first; then the licence, whose two halves only make sense together."""
        valid: bool = super().validate(extra_validators)
        number = (self.licence_number.data or "").strip()
        jurisdiction = (self.licence_jurisdiction.data or "").strip()
        if bool(number) != bool(jurisdiction):
            missing = self.licence_jurisdiction if number else self.licence_number
            missing.errors = [*missing.errors, ("Give both your licence number and the jurisdiction that issued it, "
                                                "or neither.")]
            return False
        return valid

    def profile(self) -> Profile:
        return Profile(self.full_name.data or "", self.profession.data or "", self.licence_number.data or "",
                       self.licence_jurisdiction.data or "")


class RegisterForm(ProfileFields):
    email = email_field()
    password = new_password_field("Password", "email")
    password_repeat = repeat_password_field("password")


class ProfileForm(ProfileFields):
    pass


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address."), Length(max=EMAIL_MAX)],
                       render_kw={"autocomplete": "username"})
    password = current_password_field("Password")
    remember = BooleanField("Keep me logged in on this device for 30 days")
    next = HiddenField(validators=[Length(max=2000)])


class ResetRequestForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password = new_password_field("New password")
    password_repeat = repeat_password_field("password")


class ChangePasswordForm(FlaskForm):
    current_password = current_password_field()
    password = new_password_field("New password")
    password_repeat = repeat_password_field("password")


class ChangeEmailForm(FlaskForm):
    email = email_field("New email address")
    current_password = current_password_field()


class DeleteAccountForm(FlaskForm):
    current_password = current_password_field("Your password")
    understood = BooleanField("I understand that my account and profile will be deleted and cannot be restored",
                              validators=[DataRequired("Tick the box to confirm.")])

