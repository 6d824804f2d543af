"""Certificate and CE transcript PDFs (fpdf2), drawn from a certificate's snapshot only.

Fonts are embedded (subsets), so a name in any script prints: DejaVu Sans for Latin, Greek and Cyrillic (and as the
default), Amiri for Arabic (shaped by HarfBuzz: ``set_text_shaping``), Droid Sans Fallback for Chinese, Japanese and
Korean; each is a fallback for the others. Debian packages them (``make fonts``). A character none of them has is
never dropped silently nor drawn as a box: it is written as its code point (``<U+1F600>``) and logged.

The certificate PDF depends on the snapshot, the code, the paper and the verification URL only (its creation date is
the issue time), so the same certificate downloads with the same content for ever; it is cached by code and paper
(``certificate_pdf``), as rendering takes a tenth of a second or more and a download should not
(bench/certificate_pdf.py).
"""
from __future__ import annotations

import io
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache as memoise
from pathlib import Path
from typing import Any

import segno
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # fpdf2's font library ships no types
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from coursesite.caching import cache_call
from coursesite.certificates.services import format_hours
from coursesite.extensions import cache

logger = logging.getLogger(__name__)

PAPERS = {"a4": "A4", "letter": "Letter"}
DEFAULT_PAPER = "a4"
# Bump when the layout changes, so cached PDFs are drawn again (their content, read from the snapshot, stays).
LAYOUT_VERSION = 1
CACHE_SECONDS = 7 * 24 * 3600

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
AMIRI = Path("/usr/share/fonts/opentype/fonts-hosny-amiri")
DROID = Path("/usr/share/fonts/truetype/droid")


@dataclass(frozen=True)
class FontFamily:
    name: str
    regular: Path
    bold: Path | None  # None: the regular face serves for bold text too
    required: bool = False


# In order of preference: the first family drawing a character draws it (Arabic text is set in Amiri as a whole,
# see ``family_for``).
FAMILIES = (
    FontFamily("sans", DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf", required=True),
    FontFamily("naskh", AMIRI / "Amiri-Regular.ttf", AMIRI / "Amiri-Bold.ttf"),
    FontFamily("cjk", DROID / "DroidSansFallbackFull.ttf", None),
)
ARABIC_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))


class FontsMissing(RuntimeError):
    """The default font is not installed (``make fonts``)."""


@memoise
def available_families() -> tuple[FontFamily, ...]:
    found = []
    for family in FAMILIES:
        if family.regular.exists() and (family.bold is None or family.bold.exists()):
            found.append(family)
        elif family.required:
            raise FontsMissing(f"{family.regular} is missing: install Debian's fonts (make fonts)")
        else:
            logger.warning("font %s is missing (make fonts): its scripts fall back to other fonts", family.regular)
    return tuple(found)


@memoise
def coverage(path: Path) -> frozenset[int]:
    """The code points a font file draws (read once per process)."""
    font = TTFont(str(path), lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def _draws(family: FontFamily, codepoint: int) -> bool:
    return codepoint in coverage(family.regular)


def is_arabic(text: str) -> bool:
    return any(low <= ord(char) <= high for char in text for low, high in ARABIC_RANGES)


def drawable(text: str) -> str:
    """``text`` with what no font can draw spelled as code points, control characters removed."""
    out = []
    families = available_families()
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs") and char != "\n" and char not in "\u200c\u200d":
            continue  # control and format characters (the joiners, which shape Arabic, are kept)
        if char.isspace() or any(_draws(family, ord(char)) for family in families):
            out.append(char)
            continue
        logger.warning("no certificate font draws U+%04X (%s): printed as its code point", ord(char),
                       unicodedata.name(char, "unnamed"))
        out.append(f"<U+{ord(char):04X}>")
    return "".join(out)


class Document(FPDF):
    """An FPDF with the fonts the given texts need, fallbacks set, HarfBuzz shaping on."""

    def __init__(self, paper: str, orientation: str, texts: Iterable[str], created: datetime) -> None:
        super().__init__(orientation=orientation, unit="mm", format=PAPERS.get(paper, PAPERS[DEFAULT_PAPER]))
        self.set_creation_date(created)
        self.set_creator("Coursesite CE")
        wanted = "".join(texts)
        used: list[FontFamily] = []
        for index, family in enumerate(available_families()):
            needed = index == 0 or (family.name == "naskh" and is_arabic(wanted)) or any(
                _draws(family, ord(char)) and not any(_draws(other, ord(char)) for other in used)
                for char in set(wanted))
            if not needed:
                continue
            used.append(family)
            self.add_font(family.name, "", str(family.regular))
            self.add_font(family.name, "B", str(family.bold or family.regular))
        self.families = [family.name for family in used]
        self.set_fallback_fonts(self.families, exact_match=False)
        self.set_text_shaping(True)
        self.set_auto_page_break(auto=True, margin=15)

    def family_for(self, text: str) -> str:
        """Arabic is set in Amiri throughout (its shapes and joins); everything else in the default family, with
        the others filling in the characters it lacks."""
        return "naskh" if "naskh" in self.families and is_arabic(text) else self.families[0]

    def write_line(self, text: str, size: float, *, bold: bool = False, height: float | None = None,
                   align: Align = Align.C) -> None:
        text = drawable(text)
        self.set_font(self.family_for(text), "B" if bold else "", size)
        self.multi_cell(0, height or size * 0.5, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def long_date(iso_day: str) -> str:
    day = date.fromisoformat(iso_day)
    return f"{day.day} {day:%B %Y}"


def qr_png(url: str) -> bytes:
    """The verification URL as a QR code (PNG, 4 pixels a module, the standard quiet zone)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=4, border=4)
    return buffer.getvalue()


def _snapshot_texts(snapshot: dict[str, Any]) -> list[str]:
    texts = [snapshot["participant"]["name"], snapshot["participant"].get("licence_number", ""),
             snapshot["participant"].get("licence_jurisdiction", ""), snapshot["module"]["title"],
             *snapshot["sponsor"].values()]
    for approval in snapshot["approvals"]:
        texts.extend(str(value) for value in approval.values())
    return texts


def render_certificate(snapshot: dict[str, Any], code: str, issued_at: datetime, verify_url: str,
                       paper: str = DEFAULT_PAPER) -> bytes:
    """The certificate, landscape, from its snapshot alone."""
    pdf = Document(paper, "landscape", _snapshot_texts(snapshot), issued_at)
    participant, sponsor = snapshot["participant"], snapshot["sponsor"]
    pdf.set_title(f"CE certificate {code}")
    pdf.set_author(sponsor["name"] or "Coursesite CE")
    pdf.set_margins(18, 14, 18)
    pdf.add_page()
    pdf.set_draw_color(40, 70, 110)
    pdf.set_line_width(0.8)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)
    pdf.set_text_color(20, 30, 45)
    pdf.write_line("Certificate of Continuing Education", 22, bold=True, height=11)
    pdf.write_line("This certifies that", 11, height=8)
    pdf.write_line(participant["name"], 24, bold=True, height=12)
    licence = ", ".join(part for part in (participant.get("licence_number", ""),
                                          participant.get("licence_jurisdiction", "")) if part)
    if licence:
        pdf.write_line(f"Licence: {licence}", 10, height=6)
    pdf.write_line("has completed the programme", 11, height=8)
    pdf.write_line(snapshot["module"]["title"], 16, bold=True, height=8)
    pdf.ln(2)
    pdf.write_line(f"CE hours: {format_hours(snapshot['ce_hours'])}    Date completed: "
                   f"{long_date(snapshot['completed_on'])}    Format: {snapshot['format']}", 10, height=6)
    pdf.ln(2)
    for approval in snapshot["approvals"]:
        details = [f"{approval['body_name']} ({approval['body']})" if approval.get("body") else ""]
        if approval.get("provider_number"):
            details.append(f"Provider number {approval['provider_number']}")
        if approval.get("approval_period"):
            details.append(f"Approval period {approval['approval_period']}")
        if approval.get("credits"):
            details.append(f"{format_hours(approval['credits'])} credits")
        header = " · ".join(part for part in details if part)
        if header:
            pdf.write_line(header, 8, bold=True, height=4, align=Align.L)
        pdf.write_line(approval["statement"], 8, height=4, align=Align.L)
        pdf.ln(1)
    bottom = pdf.h - 52
    if pdf.get_y() > bottom - 4:
        pdf.add_page()
    left = pdf.l_margin
    pdf.set_xy(left, bottom)
    pdf.set_line_width(0.3)
    pdf.line(left, bottom + 12, left + 80, bottom + 12)
    pdf.set_xy(left, bottom + 13)
    for text, size, bold in ((sponsor["signatory_name"], 10, True), (sponsor["signatory_title"], 9, False),
                             (sponsor["name"], 9, True), (sponsor["contact"], 8, False)):
        if text:
            text = drawable(text)
            pdf.set_x(left)
            pdf.set_font(pdf.family_for(text), "B" if bold else "", size)
            pdf.multi_cell(150, size * 0.45, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_auto_page_break(auto=False)  # the footer sits inside the frame, below the page-break line
    qr_size = 32
    qr_x, qr_y = pdf.w - pdf.r_margin - qr_size, pdf.h - 12 - qr_size - 8
    pdf.image(io.BytesIO(qr_png(verify_url)), x=qr_x, y=qr_y, w=qr_size, h=qr_size, alt_text="Verification QR code")
    pdf.set_font(pdf.families[0], "", 6.5)
    for offset, line in ((0.5, f"Verify at {verify_url}"), (3.5, f"Certificate code: {code}")):
        pdf.set_xy(pdf.w - pdf.r_margin - 160, qr_y + qr_size + offset)
        pdf.cell(160, 3, line, align=Align.R)
    return bytes(pdf.output())


def certificate_pdf(snapshot: dict[str, Any], code: str, issued_at: datetime, verify_url: str,
                    paper: str = DEFAULT_PAPER) -> bytes:
    """``render_certificate``, cached by code, paper and URL (the content never changes for a code). Without the
    cache's server the PDF is rendered each time: slower, never an error."""
    key = f"certificate-pdf:{LAYOUT_VERSION}:{paper}:{code}:{verify_url}"
    stored = cache_call(cache.get, key)
    if isinstance(stored, bytes):
        return stored
    document = render_certificate(snapshot, code, issued_at, verify_url, paper)
    cache_call(cache.set, key, document, timeout=CACHE_SECONDS)
    return document


@dataclass(frozen=True)
class TranscriptRow:
    completed_on: str
    module_title: str
    ce_hours: float
    status: str
    code: str
    reflection: str


def render_transcript(participant: str, licence: str, rows: list[TranscriptRow], hours_by_year: dict[int, float],
                      generated: datetime, paper: str = DEFAULT_PAPER) -> bytes:
    """The CE transcript: every certificate (oldest first) with its reflection note, and the hours per year."""
    texts = [participant, licence, *(row.module_title for row in rows), *(row.reflection for row in rows)]
    pdf = Document(paper, "portrait", texts, generated)
    pdf.set_title("CE transcript")
    pdf.set_margins(18, 16, 18)
    pdf.add_page()
    pdf.write_line("CE transcript", 18, bold=True, height=10, align=Align.L)
    pdf.write_line(participant, 13, bold=True, height=7, align=Align.L)
    if licence:
        pdf.write_line(f"Licence: {licence}", 10, height=6, align=Align.L)
    pdf.write_line(f"Generated {generated:%Y-%m-%d}", 9, height=6, align=Align.L)
    pdf.ln(3)
    pdf.write_line("CE hours per year", 12, bold=True, height=7, align=Align.L)
    if hours_by_year:
        for year, hours in hours_by_year.items():
            pdf.write_line(f"{year}: {format_hours(hours)} CE hours", 10, height=6, align=Align.L)
        pdf.write_line(f"Total: {format_hours(sum(hours_by_year.values()))} CE hours", 10, bold=True, height=6,
                       align=Align.L)
    else:
        pdf.write_line("No CE hours yet.", 10, height=6, align=Align.L)
    pdf.ln(3)
    pdf.write_line("Certificates", 12, bold=True, height=7, align=Align.L)
    for row in rows:
        pdf.ln(1)
        pdf.write_line(row.module_title, 11, bold=True, height=6, align=Align.L)
        status = "" if row.status == "valid" else f" ({row.status}: not counted)"
        pdf.write_line(f"Completed {long_date(row.completed_on)} · {format_hours(row.ce_hours)} CE hours{status}",
                       9, height=5, align=Align.L)
        pdf.write_line(f"Certificate code {row.code}", 8, height=4.5, align=Align.L)
        if row.reflection:
            pdf.write_line(f"Reflection: {row.reflection}", 9, height=5, align=Align.L)
    return bytes(pdf.output())
