"""The certificate and transcript PDFs: names in any script (embedded fonts, Arabic shaped), hours and code read back
with pypdf, the QR code decoded with zxing-cpp, A4 and US Letter, a character no font has, the same bytes on every
download."""
from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from coursesite.certificates import pdf
from coursesite.extensions import cache, db
from tests.certificates.pdf_support import embedded_fonts, pdf_text, qr_texts
from tests.factories import certify, make_user
from tests.support import login_as, post_form

NAMES = {
    "latin": "Zoë Łukasiewicz-Ōtsuka",
    "greek": "Αικατερίνη Παπαδοπούλου",
    "cyrillic": "Екатерина Смирнова",
    "arabic": "فاطمة الزهراء",
    "cjk": "山田 花子",
}


def download(app, user, code: str, paper: str = "a4") -> bytes:
    response = login_as(app, user).get(f"/certificates/{code}/certificate.pdf?paper={paper}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data


@pytest.mark.parametrize("script", NAMES)
def test_the_pdf_holds_the_name_in_its_script_the_hours_and_the_code(app, module, script):
    holder = make_user(f"{script}@example.org", full_name=NAMES[script])
    certificate = certify(holder, module)
    text = pdf_text(download(app, holder, certificate.code))
    assert NAMES[script] in text
    assert "CE hours: 0.5" in text and f"Certificate code: {certificate.code}" in text
    assert "A Sample Module" in text and "Home study / on-demand online" in text
    assert "?" not in text.split("Verify at")[0]  # no glyph replaced by a question mark


def test_the_fonts_a_name_needs_are_embedded(app, module):
    holder = make_user("mixed@example.org", full_name="Ελένη 李 Zoë")
    fonts = embedded_fonts(download(app, holder, certify(holder, module).code))
    assert {"DejaVuSansBold", "DroidSansFallback"} <= fonts
    arabic = make_user("arabic@example.org", full_name=NAMES["arabic"])
    assert "AmiriBold" in embedded_fonts(download(app, arabic, certify(arabic, module).code))


def test_arabic_is_shaped():
    """HarfBuzz joins the letters: the glyphs drawn are the initial, medial and final forms, not isolated letters."""
    document = pdf.Document("a4", "landscape", ["محمد"], datetime.now(UTC))
    document.add_page()
    document.write_line("محمد", 20, bold=True)
    names = {glyph.glyph_name for glyph, _ in document.fonts["naskhB"].subset.items()}
    assert any(name.startswith("uni0645.init") for name in names)  # meem, joined to what follows
    assert "uni062F.fina" in names  # dal, joined to what precedes


def test_a_character_no_font_has_is_printed_as_its_code_point_and_logged(app, module, caplog):
    holder = make_user("glyph@example.org", full_name="Ana \U00013000 Pérez")  # an Egyptian hieroglyph
    with caplog.at_level(logging.WARNING, logger="coursesite.certificates.pdf"):
        text = pdf_text(download(app, holder, certify(holder, module).code))
    assert "Ana <U+13000> Pérez" in text
    assert any("U+13000" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(("paper", "size"), [("a4", (842, 595)), ("letter", (792, 612))])
def test_a4_and_us_letter(app, learner, module, paper, size):
    document = download(app, learner, certify(learner, module).code, paper)
    box = PdfReader(io.BytesIO(document)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size  # landscape, in points


def test_an_unknown_paper_is_404(app, learner, module):
    certificate = certify(learner, module)
    assert login_as(app, learner).get(f"/certificates/{certificate.code}/certificate.pdf?paper=a3").status_code == 404


def test_the_qr_code_decodes_to_the_verification_url(app, learner, module):
    certificate = certify(learner, module)
    assert qr_texts(download(app, learner, certificate.code)) == [
        f"{app.config['BASE_URL']}/certificates/verify/{certificate.code}"]


def test_the_same_certificate_downloads_the_same_bytes_cached_or_not(app, learner, module):
    certificate = certify(learner, module)
    first = download(app, learner, certificate.code)
    assert download(app, learner, certificate.code) == first
    cache.clear()
    assert download(app, learner, certificate.code) == first


def test_the_transcript_pdf_lists_certificates_hours_per_year_and_reflections(app, learner, module):
    certificate = certify(learner, module)
    client = login_as(app, learner)
    post_form(client, f"/certificates/{certificate.code}/reflection", {f"r{certificate.id}-text": "Μάθημα: useful."},
              page="/certificates")
    response = client.get("/certificates/transcript.pdf?paper=letter")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    year = datetime.now(UTC).year
    assert learner.full_name in text and "Licence: PSY-004217, Wisconsin" in text
    assert f"{year}: 0.5 CE hours" in text and "Total: 0.5 CE hours" in text
    assert "A Sample Module" in text and certificate.code in text and "Reflection: Μάθημα: useful." in text
    db.session.rollback()


def test_drawable_keeps_joiners_and_drops_control_characters():
    assert pdf.drawable("a\u200db\x07c") == "a\u200dbc"
