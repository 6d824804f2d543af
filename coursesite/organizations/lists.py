"""Reading the addresses an admin invites: a pasted list or an uploaded CSV file.

Both are all-or-nothing: every problem is reported with its line number and nothing is invited until the whole list
is clean. Duplicates are not errors (the invitation step reports and skips them).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from coursesite.accounts.models import FULL_NAME_MAX
from coursesite.text import InvalidEmail, clean_text, is_printable, validated_email

MAX_ROWS = 1000
MAX_BYTES = 256 * 1024
MAX_ERRORS_SHOWN = 50
EMAIL_COLUMNS = ("email", "e-mail", "email_address", "e-mail_address")
NAME_COLUMNS = ("full_name", "name")
_SEPARATORS = re.compile(r"[,;\s]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Invitee:
    line: int
    email: str
    full_name: str = ""


class ListRefused(ValueError):
    """The list cannot be used; ``messages`` say why, line by line where that applies."""

    def __init__(self, messages: list[str]) -> None:
        shown = messages[:MAX_ERRORS_SHOWN]
        if len(messages) > MAX_ERRORS_SHOWN:
            shown.append(f"… and {len(messages) - MAX_ERRORS_SHOWN} more problems.")
        super().__init__("; ".join(shown))
        self.messages = shown


def _quoted(raw: str) -> str:
    return raw if len(raw) <= 60 else raw[:57] + "…"


def _address(line: int, raw: str, errors: list[str]) -> str | None:
    try:
        return validated_email(raw)
    except InvalidEmail:
        errors.append(f"line {line}: '{_quoted(raw)}' is not a valid email address")
        return None


def read_address_list(text: str) -> list[Invitee]:
    """Addresses one per line (or several on a line, separated by commas, semicolons or spaces)."""
    text = text or ""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise ListRefused([f"The list is longer than {MAX_BYTES // 1024} KB. Split it, or upload a CSV file."])
    errors: list[str] = []
    invitees: list[Invitee] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for raw in filter(None, _SEPARATORS.split(line.strip())):
            raw = raw.strip("<>\"'")
            email = _address(number, raw, errors)
            if email:
                invitees.append(Invitee(number, email))
        if len(invitees) + len(errors) > MAX_ROWS:
            raise ListRefused([f"The list has more than {MAX_ROWS:,} addresses. Invite at most {MAX_ROWS:,} at once."])
    if errors:
        raise ListRefused(errors)
    if not invitees:
        raise ListRefused(["Enter at least one email address."])
    return invitees


def _decoded(data: bytes) -> str:
    if b"\x00" in data:
        raise ListRefused(["This is not a CSV file (it holds binary data). Save the spreadsheet as CSV and try again."])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ListRefused(["The file is not UTF-8 text. Save the spreadsheet as \"CSV UTF-8\" and try again."]) \
            from None
    if _CONTROL.search(text):
        raise ListRefused(["This is not a CSV file (it holds control characters). Save the spreadsheet as CSV."])
    return text


def _dialect(header: str) -> str:
    """Spreadsheets in some countries separate with semicolons or tabs."""
    if "," not in header:
        for delimiter in (";", "\t"):
            if delimiter in header:
                return delimiter
    return ","


def read_csv(data: bytes) -> list[Invitee]:
    """A CSV file whose first line names the columns: ``email`` (required) and ``full_name`` (optional)."""
    if len(data) > MAX_BYTES:
        raise ListRefused([f"The file is larger than {MAX_BYTES // 1024} KB. Split it into smaller files."])
    if not data.strip():
        raise ListRefused(["The file is empty."])
    text = _decoded(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_dialect(text.split("\n", 1)[0]), strict=True)
    try:
        header = next(reader, [])
        columns = [re.sub(r"\s+", "_", name.strip().lower()) for name in header]
        email_at = next((columns.index(name) for name in EMAIL_COLUMNS if name in columns), None)
        name_at = next((columns.index(name) for name in NAME_COLUMNS if name in columns), None)
        if email_at is None:
            raise ListRefused([("The first line must name the columns, one of them \"email\" (and optionally "
                                "\"full_name\"), e.g. email,full_name")])
        errors: list[str] = []
        invitees: list[Invitee] = []
        rows = 0
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise ListRefused([f"The file has more than {MAX_ROWS:,} rows. Invite at most {MAX_ROWS:,} at once."])
            line = reader.line_num
            raw = row[email_at].strip() if email_at < len(row) else ""
            if not raw:
                errors.append(f"line {line}: no email address")
                continue
            email = _address(line, raw, errors)
            # Checked as stored: NFC with whitespace folded (which can make a name longer than it was typed).
            full_name = clean_text(row[name_at]) if name_at is not None and name_at < len(row) else ""
            if not is_printable(full_name):
                errors.append(f"line {line}: the name contains invisible or control characters (such as "
                              "right-to-left overrides); remove them")
                continue
            if len(full_name) > FULL_NAME_MAX:
                errors.append(f"line {line}: the name is longer than {FULL_NAME_MAX} characters")
                continue
            if email:
                invitees.append(Invitee(line, email, full_name))
    except csv.Error as error:
        raise ListRefused([f"line {reader.line_num}: the file is not valid CSV ({error})"]) from None
    if errors:
        raise ListRefused(errors)
    if not invitees:
        raise ListRefused(["The file has no addresses below its first line."])
    return invitees
