"""The dependency direction of docs/architecture.md, checked on the source: no package imports one above it.

From the top down: staff -> certificates -> assessment -> learning -> billing -> catalog -> accounts -> shared helpers;
forum and organizations sit beside learning and assessment. A module of the ``coursesite`` package that is neither a
feature package nor a composition root (the app factory and the command line, which know every package) is a shared
helper, and imports no feature package at all.
"""
from __future__ import annotations

import ast
from pathlib import Path

import coursesite

PACKAGE_ROOT = Path(coursesite.__file__).parent

# What each feature package may import besides itself and the shared helpers.
ALLOWED = {
    "accounts": set(),
    "catalog": {"accounts"},
    "billing": {"catalog", "accounts"},
    "learning": {"billing", "catalog", "accounts"},
    "organizations": {"billing", "catalog", "accounts", "learning"},
    "forum": {"billing", "catalog", "accounts", "learning"},
    "assessment": {"learning", "billing", "catalog", "accounts"},
    "certificates": {"assessment", "learning", "billing", "catalog", "accounts"},
    "staff": {"certificates", "assessment", "learning", "organizations", "forum", "billing", "catalog", "accounts"},
}
# Modules that assemble the app from every package: the factory, the command line and the demo loaders.
COMPOSITION_ROOTS = {"__init__", "cli", "demo", "synthetic"}


def owner(module: str) -> str:
    """The feature package a dotted ``coursesite.…`` name belongs to, or ``"shared"``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else "shared"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith("coursesite.")}


def violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        relative = path.relative_to(PACKAGE_ROOT)
        if len(relative.parts) == 1 and relative.stem in COMPOSITION_ROOTS:
            continue
        importer = owner("coursesite." + ".".join(relative.with_suffix("").parts))
        allowed = ALLOWED.get(importer, set()) | {importer, "shared"}
        for module in sorted(imported_modules(path)):
            if owner(module) not in allowed:
                found.append(f"coursesite/{relative} imports {module} ({importer} may not use {owner(module)})")
    return found


def test_no_package_imports_one_above_it():
    assert violations() == []


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    bad = tmp_path / "catalog" / "views.py"
    bad.parent.mkdir()
    bad.write_text("from coursesite.billing.services import format_money\nfrom coursesite.money import x\n")
    monkeypatch.setattr(f"{__name__}.PACKAGE_ROOT", tmp_path)
    assert violations() == [
        "coursesite/catalog/views.py imports coursesite.billing.services.format_money (catalog may not use billing)"]
