"""Reading certificate PDFs back in tests: text (pypdf) and the QR code (zxing-cpp on the embedded image)."""
from __future__ import annotations

import io

import zxingcpp
from PIL import Image
from pypdf import PdfReader


def pdf_text(document: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(document)).pages)


def qr_texts(document: bytes) -> list[str]:
    """What every QR code in the PDF's images decodes to (each image enlarged, as a scanner sees the print)."""
    found = []
    for page in PdfReader(io.BytesIO(document)).pages:
        for picture in page.images:
            image = Image.open(io.BytesIO(picture.data)).convert("L")
            image = image.resize((image.width * 3, image.height * 3), Image.Resampling.NEAREST)
            found.extend(result.text for result in zxingcpp.read_barcodes(image)
                         if result.format == zxingcpp.BarcodeFormat.QRCode)
    return found


def embedded_fonts(document: bytes) -> set[str]:
    """Base names of the fonts whose program is embedded in the PDF."""
    names = set()
    for page in PdfReader(io.BytesIO(document)).pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                if "/FontFile2" in descriptor:
                    names.add(str(font["/BaseFont"]).split("+")[-1])
    return names
