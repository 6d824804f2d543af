"""The plug-in point through which other packages own part of a module's files."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coursesite.catalog.content.yamlfields import Fields, Report
    from coursesite.catalog.models import Module


@dataclass(frozen=True)
class ContentSection:
    """Part of a module's content owned by another package (the question bank, the price tiers).

    ``read(module_dir, module_fields, module_values, report)`` checks the files and returns plain data;
    ``apply(module, data)`` writes that data for ``module`` inside the import's transaction;
    ``export(module)`` gives ``(module_yaml_entries, {file_name: yaml_data})`` to write back out;
    ``test_questions(data)``, when given, is how many questions one test attempt draws (``data`` as ``read`` gave
    it), for the credit calculation (catalog/content/approvals.py).
    """

    name: str
    module_keys: frozenset[str]
    read: Callable[[Path, Fields, dict[str, Any], Report], Any]
    apply: Callable[[Module, Any], None]
    export: Callable[[Module], tuple[dict[str, Any], dict[str, Any]]]
    test_questions: Callable[[Any], int] | None = None
