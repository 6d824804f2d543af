"""Write a module from the database back out as files that import to the same state."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from coursesite.catalog.content.sections import ContentSection
from coursesite.catalog.content.yamlfields import LineDict
from coursesite.catalog.models import Lecture, Module, Speaker
from coursesite.storage import MediaStore

MODULE_FIELDS = ("title", "subtitle", "summary", "ce_hours", "level", "audience", "objectives",
                 "approval_statement", "published")
REFERENCE_FIELDS = ("key", "kind", "authors", "year", "title", "container", "publisher", "volume", "issue",
                    "pages", "doi", "url", "seminal", "annotation")


class _Dumper(yaml.SafeDumper):
    """Writes multi-line text as literal blocks so exported files stay readable."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(LineDict, yaml.SafeDumper.represent_dict)  # entries read back from an existing file


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def _front_matter(meta: dict[str, Any], body: str) -> str:
    return f"---\n{dump_yaml(meta)}---\n{body}\n"


def export_module(module: Module, sections: list[ContentSection], store: MediaStore, content_root: Path,
                  existing_speakers: list[dict[str, Any]]) -> Path:
    """Write ``module`` to ``content_root/<slug>/`` and merge its speakers into ``content_root/speakers.yaml``
    (``existing_speakers``: that file's entries, already checked)."""
    folder = content_root / module.slug
    module_yaml = {name: getattr(module, name) for name in MODULE_FIELDS}
    module_yaml.update(_approvals_yaml(module))
    if module_yaml["ce_hours"] == int(module_yaml["ce_hours"]):
        module_yaml["ce_hours"] = int(module_yaml["ce_hours"])
    for section in sections:
        entries, files = section.export(module)
        module_yaml.update(entries)
        for name, data in files.items():
            _write(folder / name, dump_yaml(data))
    _write(folder / "module.yaml", dump_yaml(module_yaml))
    for lecture in module.lectures:
        _export_lecture(lecture, folder / "lectures", store)
    for guide in module.guides:
        meta = {"title": guide.title, "position": guide.position, "summary": guide.summary}
        _write(folder / "guides" / f"{guide.slug}.md", _front_matter(meta, guide.body))
    if module.glossary:
        _write(folder / "glossary.yaml", dump_yaml([
            {"term": t.term, "definition": t.definition, **({"related": t.related} if t.related else {})}
            for t in module.glossary
        ]))
    if module.references:
        _write(folder / "bibliography.yaml", dump_yaml([
            {name: getattr(ref, name) for name in REFERENCE_FIELDS if getattr(ref, name) not in ("", None, False)}
            for ref in module.references
        ]))
    speakers = {link.speaker.slug: link.speaker for lecture in module.lectures for link in lecture.speaker_links}
    _merge_speakers(list(speakers.values()), existing_speakers, content_root, store)
    return folder


def _approvals_yaml(module: Module) -> dict[str, Any]:
    """``certificate``, ``sponsor`` and ``approvals`` as catalog/content/approvals.py reads them."""
    entries: dict[str, Any] = {"certificate": module.offers_certificate}
    if module.sponsor_name:
        entries["sponsor"] = {"name": module.sponsor_name, "contact": module.sponsor_contact,
                              "signatory": module.signatory_name, "signatory_title": module.signatory_title}
    entries["approvals"] = [
        {"body": a.body, "statement": a.statement,
         **{name: getattr(a, name) for name in ("provider_number", "approval_period") if getattr(a, name)},
         "credits": int(a.credits) if a.credits == int(a.credits) else a.credits}
        for a in module.approvals
    ] or "none"
    return entries


def _export_lecture(lecture: Lecture, folder: Path, store: MediaStore) -> None:
    stem = f"{lecture.position:02d}-{lecture.slug}"
    files = {"media": lecture.media_path, "captions": lecture.captions_path, "slides": lecture.slides_path}
    meta: dict[str, Any] = {
        "title": lecture.title, "kind": lecture.kind, "speakers": [s.slug for s in lecture.speakers],
        "summary": lecture.summary, "duration": lecture.duration_seconds,
    }
    for key, stored in files.items():
        if stored:
            name = f"{stem}{Path(stored).suffix}"
            folder.mkdir(parents=True, exist_ok=True)
            store.fetch(stored, folder / name)
            meta[key] = name
    if lecture.preview:
        meta["preview"] = True
    if lecture.reference_links:
        meta["references"] = [reference.key for reference in lecture.references]
    _write(folder / f"{stem}.md", _front_matter(meta, lecture.notes))


def _merge_speakers(speakers: list[Speaker], existing: list[dict[str, Any]], content_root: Path,
                    store: MediaStore) -> None:
    """Update or add each speaker's entry, keeping fields the database does not hold (such as ``voice``)."""
    by_slug = {entry["slug"]: entry for entry in existing}
    for speaker in speakers:
        entry = by_slug.setdefault(speaker.slug, {"slug": speaker.slug})
        entry["name"] = speaker.name
        for name in ("credentials", "title", "bio"):
            if getattr(speaker, name):
                entry[name] = getattr(speaker, name)
            else:
                entry.pop(name, None)
        if speaker.photo_path:
            photo = f"speakers/{speaker.slug}{Path(speaker.photo_path).suffix}"
            (content_root / "speakers").mkdir(parents=True, exist_ok=True)
            store.fetch(speaker.photo_path, content_root / photo)
            entry["photo"] = photo
        else:
            entry.pop("photo", None)
        entry["resources"] = [
            {"title": r.title, "url": r.url, "kind": r.kind, **({"note": r.note} if r.note else {})}
            for r in speaker.resources
        ]
        if not entry["resources"]:
            del entry["resources"]
    _write(content_root / "speakers.yaml", dump_yaml(list(by_slug.values())))
