"""A lecture's ``references`` (front matter): keys of the module's bibliography.yaml, checked with file, field and
line, imported as links in their order, kept in step by re-imports, and written back by the exporter."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from coursesite.catalog.content import import_content, validate_content
from coursesite.catalog.models import Lecture, LectureReference
from coursesite.extensions import db
from tests.support import empty_all_tables

SECOND_REFERENCE = """
- key: aron-1996
  kind: book
  authors: Aron, L.
  year: 1996
  title: "A meeting of minds: Mutuality in psychoanalysis"
  publisher: Analytic Press
"""


def lecture_file(root: Path, name: str = "01-first-steps.md") -> Path:
    return root / "sample-module" / "lectures" / name


def set_references(root: Path, line: str, name: str = "01-first-steps.md") -> None:
    """Replace the lecture's ``references:`` line (if any) with ``line``."""
    path = lecture_file(root, name)
    text = path.read_text()
    if "references:" in text:
        start = text.index("references:")
        text = text[:start] + text[text.index("\n", start) + 1:]
    path.write_text(text.replace("\n---\n", f"\n{line}\n---\n", 1))  # before the end of the front matter


def add_second_reference(root: Path) -> None:
    bibliography = root / "sample-module" / "bibliography.yaml"
    bibliography.write_text(bibliography.read_text() + SECOND_REFERENCE)


def cited(slug: str) -> list[str]:
    lecture = db.session.scalar(select(Lecture).where(Lecture.slug == slug))
    db.session.refresh(lecture)
    return [reference.key for reference in lecture.references]


def test_the_fixture_lecture_cites_its_reference(app, sample_module):
    assert cited("first-steps") == ["benjamin-2004"]
    assert cited("in-conversation") == []


@pytest.mark.parametrize(("line", "message"), [
    ("references: [nobody-2020]", "unknown reference 'nobody-2020' (not a key in bibliography.yaml)"),
    ("references: [benjamin-2004, benjamin-2004]", "'benjamin-2004' is listed twice"),
    ("references: benjamin-2004", "must be a list"),
    ("references: ['']", "item 1 must be non-empty text"),
])
def test_bad_references_are_reported_with_file_field_and_line(app, content_copy, line, message):
    set_references(content_copy, line)
    report = validate_content(content_copy / "sample-module")
    problems = [p for p in report.errors if p.field == "references"]
    assert problems, report.errors
    assert problems[0].path.endswith("sample-module/lectures/01-first-steps.md")
    lines = lecture_file(content_copy).read_text().splitlines()
    assert lines[problems[0].line - 1].startswith("references:")
    assert message in problems[0].message, problems[0]
    assert not import_content(content_copy / "sample-module").ok
    assert db.session.scalar(select(func.count()).select_from(Lecture)) == 0  # nothing half-written


def test_reimport_follows_the_order_and_removals(app, content_copy):
    add_second_reference(content_copy)
    set_references(content_copy, "references: [aron-1996, benjamin-2004]")
    set_references(content_copy, "references: [benjamin-2004]", "02-in-conversation.md")
    assert import_content(content_copy / "sample-module").ok
    assert cited("first-steps") == ["aron-1996", "benjamin-2004"]
    assert cited("in-conversation") == ["benjamin-2004"]

    set_references(content_copy, "references: [benjamin-2004, aron-1996]")
    assert import_content(content_copy / "sample-module").ok
    assert cited("first-steps") == ["benjamin-2004", "aron-1996"]

    set_references(content_copy, "references: [benjamin-2004]")
    bibliography = content_copy / "sample-module" / "bibliography.yaml"
    bibliography.write_text(bibliography.read_text().replace(SECOND_REFERENCE, ""))
    assert import_content(content_copy / "sample-module").ok
    assert cited("first-steps") == ["benjamin-2004"]
    assert db.session.scalar(select(func.count()).select_from(LectureReference)) == 2


def test_export_writes_the_references_back(app, runner, tmp_path, content_copy):
    add_second_reference(content_copy)
    set_references(content_copy, "references: [aron-1996, benjamin-2004]")
    assert import_content(content_copy / "sample-module").ok
    result = runner.invoke(args=["content", "export", "sample-module", str(tmp_path / "exported")])
    assert result.exit_code == 0, result.output
    exported = tmp_path / "exported" / "sample-module" / "lectures"
    assert "references:\n- aron-1996\n- benjamin-2004\n" in (exported / "01-first-steps.md").read_text()
    assert "references" not in (exported / "02-in-conversation.md").read_text()
    empty_all_tables()
    assert import_content(tmp_path / "exported" / "sample-module").ok
    assert cited("first-steps") == ["aron-1996", "benjamin-2004"]
