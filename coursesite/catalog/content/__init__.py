"""Modules as files: read and check a content folder, import it into the database, export it back.

The format is described in docs/content-format.md. Feature packages that own part of a module (the question bank,
the price tiers) plug in as :class:`~coursesite.catalog.content.sections.ContentSection` objects, so the catalogue
does not depend on them.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from coursesite.caching import bump_content_revision
from coursesite.catalog.content.sections import ContentSection
from coursesite.catalog.content.yamlfields import Report, load_yaml_list
from coursesite.extensions import db
from coursesite.storage import media_store

if TYPE_CHECKING:
    from coursesite.catalog.content.reader import ModuleData


def content_sections() -> list[ContentSection]:
    sections: list[ContentSection] = current_app.extensions["content_sections"]
    return sections


def module_dirs(path: Path) -> list[Path]:
    """``path`` itself when it is a module folder, else every module folder directly inside it."""
    if (path / "module.yaml").exists():
        return [path]
    return sorted(child for child in path.iterdir() if (child / "module.yaml").exists()) if path.is_dir() else []


def read_modules(path: Path) -> tuple[Report, list[ModuleData]]:
    """Check every module under ``path`` against one reading of the speakers file beside them."""
    from coursesite.catalog.content.reader import read_module, read_speakers

    report = Report()
    folders = module_dirs(path)
    if not folders:
        report.error(path, "no module.yaml here, nor in any folder directly inside it")
        return report, []
    speakers = read_speakers(folders[0].resolve().parent, report)
    modules = [read_module(folder, content_sections(), speakers, report) for folder in folders]
    return report, [module for module in modules if module is not None]


def validate_content(path: Path) -> Report:
    return read_modules(path)[0]


def import_content(path: Path) -> Report:
    """Import every module under ``path`` in one transaction; nothing is written if any file has an error."""
    from coursesite.catalog.content.importer import import_module

    report, modules = read_modules(path)
    if not report.ok:
        return report
    store = media_store()  # MEDIA_ROOT, or the bucket with MEDIA_DELIVERY=s3 (coursesite/storage.py)
    try:
        store.prepare()
        bump_content_revision()  # first write: concurrent imports now wait for this one to commit
        for module in modules:
            import_module(module, content_sections(), store)
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        report.error(path, f"the database refused the import, so nothing was changed: {getattr(exc, 'orig', exc)}")
    except Exception:
        db.session.rollback()
        raise
    return report


def export_content(slug: str, content_root: Path) -> Report:
    """Write module ``slug`` to ``content_root/<slug>/``; refuses, changing nothing, when that folder is not empty
    (stale files there would be imported next time) or when ``content_root/speakers.yaml`` cannot be merged into."""
    from coursesite.catalog.content.exporter import export_module
    from coursesite.catalog.models import Module

    report = Report()
    module = db.session.scalar(select(Module).where(Module.slug == slug))
    if module is None:
        report.error(content_root, f"no module with the slug {slug!r}")
        return report
    folder = content_root / slug
    if folder.exists() and any(folder.iterdir()):
        report.error(folder, "already holds files: export into an empty folder")
    speakers_file = content_root / "speakers.yaml"
    existing = load_yaml_list(speakers_file, report)
    if any(not isinstance(entry, dict) or not isinstance(entry.get("slug"), str) for entry in existing):
        report.error(speakers_file, "every speaker needs a slug before others can be merged in")
    if report.ok:
        export_module(module, content_sections(), media_store(), content_root, existing)
    return report
