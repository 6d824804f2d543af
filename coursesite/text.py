"""Rules for text that people type, shared by every package that stores it (accounts, organisations, ...).

Names and addresses are checked as they will be stored: NFC with whitespace folded (``clean_text``), email addresses
in their ASCII form, lower-cased (``validated_email``). The WTForms validators at the end apply the same rules to a
form field, so a form and the service behind it never disagree.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from email_validator import EmailNotValidError, validate_email
from wtforms import Field
from wtforms.validators import ValidationError

EMAIL_MAX = 254  # the longest address SMTP can carry (RFC 5321 with RFC 3696 erratum 1690)

# Format characters (Unicode Cf) that names need: ZERO WIDTH NON-JOINER and JOINER shape Persian, Arabic and Indic
# script. Every other Cf (bidi overrides and isolates U+202A-U+202E, U+2066-U+2069, soft hyphen, BOM...) stays out.
JOINERS = {"\u200c", "\u200d"}
UNPRINTABLE_MESSAGE = "Remove the invisible or control characters from this field."


class InvalidEmail(ValueError):
    """Not an address we can store; ``str(error)`` says why, for the person who typed it."""


def clean_text(text: str) -> str:
    """NFC (so "ë" typed two ways is stored one way) with runs of whitespace folded into single spaces."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def is_printable(text: str) -> bool:
    """Letters from any script, with the joiners some scripts need; no control, bidi or other invisible characters.
    The rule for every name a person types, in a form or a CSV file."""
    return not any(_is_unprintable(char) for char in text)


def _is_unprintable(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") and char not in JOINERS


def printable_only(text: str) -> str:
    """``text`` with every character :func:`is_printable` refuses turned into a space, then ``clean_text``: for text
    that must be shown whatever it holds (a mail header naming something stored before the rules were applied)."""
    return clean_text("".join(" " if _is_unprintable(char) else char for char in text))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def validated_email(raw: str) -> str:
    """The address to store: checked for form only (no DNS), domain in ASCII, all lower-case."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise InvalidEmail(f"Enter a valid email address: {error}") from None
    email = normalise_email(checked.ascii_email or checked.normalized)
    if len(email) > EMAIL_MAX:
        raise InvalidEmail(f"Email addresses can be at most {EMAIL_MAX} characters long.")
    return email


# Form validators ----------------------------------------------------------------------------------------------------

def valid_email(_form: Any, field: Field) -> None:
    try:
        validated_email(field.data or "")
    except InvalidEmail as error:
        raise ValidationError(str(error)) from None


def printable_text(_form: Any, field: Field) -> None:
    """Letters from any script are welcome, with the joiners some scripts need; control characters are not."""
    if not is_printable(field.data or ""):
        raise ValidationError(UNPRINTABLE_MESSAGE)


def stored_length(max_length: int) -> Callable[[Any, Field], None]:
    """The length limit on the text as stored (NFC, whitespace folded: ``clean_text``), which can be longer than
    what was typed: NFC decomposes some letters ("\u0958" becomes two characters). Goes after
    ``Length(max=max_length)``, which already reports text too long as typed."""
    def check(_form: Any, field: Field) -> None:
        typed = field.data or ""
        stored = len(clean_text(typed))
        if len(typed) <= max_length < stored:
            raise ValidationError(f"Field cannot be longer than {max_length} characters: in the standard Unicode "
                                  f"form we store, this text has {stored}.")
    return check
