"""YAML with line numbers, and typed field checks that report file, field and line."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 80  # the width of every slug column
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
URL_RE = re.compile(r"^https?://[^\s<>\"]+$")


class LineDict(dict[Any, Any]):
    """A mapping that remembers the line of each key (1-based)."""

    lines: dict[str, int]
    line: int

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    line_offset = 0

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            line = key_node.start_mark.line + 1 + self.line_offset
            if isinstance(key_node.value, str) and key_node.value in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key_node.value!r} (first at line {seen[key_node.value]})",
                    key_node.start_mark)
            seen[key_node.value] = line
        mapping = LineDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1 + self.line_offset
        mapping.lines = {
            key_node.value: key_node.start_mark.line + 1 + self.line_offset
            for key_node, _ in node.value
            if isinstance(key_node.value, str)
        }
        return mapping


def _construct_line_dict(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    return loader.construct_mapping(node, deep=True)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_line_dict)


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


def display_path(path: Path | str) -> str:
    """``path`` relative to the working directory when it is below it: shorter messages for people."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass
class Report:
    """Errors stop an import; warnings are printed and let it go on; notes say what was worked out (the credit
    calculation)."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)

    def error(self, path: Path | str, message: str, *, line: int | None = None, field: str | None = None) -> None:
        self.errors.append(Problem(display_path(path), line, field, message))

    def warn(self, path: Path | str, message: str, *, line: int | None = None, field: str | None = None) -> None:
        self.warnings.append(Problem(display_path(path), line, field, message))

    def note(self, path: Path | str, message: str, *, line: int | None = None, field: str | None = None) -> None:
        self.notes.append(Problem(display_path(path), line, field, message))

    @property
    def ok(self) -> bool:
        return not self.errors


def load_yaml(path: Path, report: Report, *, text: str | None = None, line_offset: int = 0) -> Any:
    """Parse YAML from ``path`` (or ``text`` taken from it); a syntax error goes to ``report`` and gives None."""
    if text is None:
        if not path.is_file():
            report.error(path, "file is missing")
            return None
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            report.error(path, "file is not UTF-8 text")
            return None
    loader = _LineLoader(text)
    loader.line_offset = line_offset
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        # The problem mark is where the parser gave up; the context mark, when it differs, is where the broken
        # construct (an unclosed bracket or quote) began: both help a person find the mistake.
        problem_mark = getattr(exc, "problem_mark", None)
        context_mark = getattr(exc, "context_mark", None)
        mark = problem_mark or context_mark
        line = mark.line + 1 + line_offset if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        if problem_mark and context_mark and context_mark.line != problem_mark.line:
            context = getattr(exc, "context", None) or "the construct"
            problem += f" ({context} at line {context_mark.line + 1 + line_offset})"
        report.error(path, f"malformed YAML: {problem}", line=line)
        return None
    finally:
        loader.dispose()


def slug_problem(value: str) -> str | None:
    """Why ``value`` cannot be a slug (a folder or file name that becomes part of an address), or None."""
    if not SLUG_RE.match(value):
        return f"{value!r} is not a slug (lower-case letters, digits and single hyphens)"
    if len(value) > SLUG_MAX:
        return f"{value!r} is longer than {SLUG_MAX} characters"
    return None


def load_yaml_list(path: Path, report: Report, *, required: bool = False) -> list[Any]:
    """A YAML file holding a list; a missing optional file is an empty list."""
    if not path.exists() and not required:
        return []
    data = load_yaml(path, report)
    if data is None:
        return []
    if not isinstance(data, list):
        report.error(path, "must be a list", line=1)
        return []
    return data


class Fields:
    """Checks the fields of one YAML mapping, recording problems with their line numbers."""

    def __init__(self, data: Any, path: Path, report: Report, *, prefix: str = "") -> None:
        self.path, self.report, self.prefix = path, report, prefix
        if isinstance(data, dict):
            self.data = data
        else:
            self.data = LineDict()
            self.data.lines, self.data.line = {}, getattr(data, "line", 1)
            report.error(path, "must be a mapping of fields", field=prefix.rstrip(".") or None)

    def _line(self, key: str) -> int | None:
        return self.data.line_of(key) if isinstance(self.data, LineDict) else None

    def error(self, key: str, message: str) -> None:
        self.report.error(self.path, message, line=self._line(key), field=self.prefix + key)

    def warn(self, key: str, message: str) -> None:
        self.report.warn(self.path, message, line=self._line(key), field=self.prefix + key)

    def unknown(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed:
                self.error(str(key), f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def text(self, key: str, *, required: bool = True, max_len: int = 200, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, "is required")
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.error(key, "must be text")
            return default
        value = value.strip()
        if required and not value:
            self.error(key, "must not be empty")
        if CONTROL_RE.search(value):
            self.error(key, "contains a control character (such as NUL); only tabs and line breaks are allowed")
            return default
        if len(value) > max_len:
            self.error(key, f"is {len(value)} characters long; the limit is {max_len}")
            return value[:max_len]
        return value

    def slug(self, key: str, *, required: bool = True) -> str:
        value = self.text(key, required=required, max_len=SLUG_MAX)
        problem = slug_problem(value) if value else None
        if problem:
            self.error(key, problem)
        return value

    def url(self, key: str, *, required: bool = True) -> str:
        value = self.text(key, required=required, max_len=500)
        if value and not URL_RE.match(value):
            self.error(key, f"{value!r} is not an http(s) address")
        return value

    def number(self, key: str, *, required: bool = True, minimum: float | None = None,
               maximum: float | None = None, integer: bool = False, default: float | None = 0) -> Any:
        """The value, or ``default`` after recording why it is not acceptable (never NaN, infinity or a bignum)."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, "is required")
            return default
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            self.error(key, "must be a whole number" if integer else "must be a number")
            return default
        if isinstance(value, float) and not math.isfinite(value):
            self.error(key, "must be a finite number")
            return default
        if minimum is not None and value < minimum:
            self.error(key, f"must be at least {minimum} (got {value})")
            return default
        if maximum is not None and value > maximum:
            self.error(key, f"must be at most {maximum} (got {value})")
            return default
        return value

    def flag(self, key: str, *, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.error(key, "must be true or false")
            return default
        return value

    def choice(self, key: str, options: tuple[str, ...] | set[str] | dict[str, Any], *, required: bool = True,
               default: str = "") -> str:
        value = self.text(key, required=required, max_len=40, default=default)
        if value and value not in options:
            self.error(key, f"{value!r} is not one of: {', '.join(options)}")
            return default
        return value

    def items(self, key: str, *, required: bool = True, max_items: int = 500) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, "is required")
            return []
        if not isinstance(value, list):
            self.error(key, "must be a list")
            return []
        if len(value) > max_items:
            self.error(key, f"has {len(value)} items; the limit is {max_items}")
        return value

    def text_list(self, key: str, *, required: bool = True, max_len: int = 300, max_items: int = 100) -> list[str]:
        items = self.items(key, required=required, max_items=max_items)
        result = []
        for index, item in enumerate(items, start=1):
            if not isinstance(item, str) or not item.strip():
                self.error(key, f"item {index} must be non-empty text")
            elif len(item) > max_len:
                self.error(key, f"item {index} is longer than {max_len} characters")
            else:
                result.append(item.strip())
        return result
