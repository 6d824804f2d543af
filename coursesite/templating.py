"""Jinja filters shared by every template. A shared helper: it imports no feature package (a package adds its own
names from its blueprint, as the catalogue does with ``lecture_kinds``)."""
from __future__ import annotations

from flask import Flask

from coursesite.markdown import render_markdown
from coursesite.money import format_money


def format_duration(seconds: float | None) -> str:
    """``1 h 05 min`` / ``4 min 09 s``: what a learner wants to know about a lecture's length."""
    total = round(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def format_clock(seconds: float | None) -> str:
    """``2:05`` / ``1:02:05``: a position in a recording, as players show it."""
    total = int(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def format_hours(hours: float) -> str:
    return f"{hours:g} CE hour" + ("" if hours == 1 else "s")


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        markdown=render_markdown, money=format_money, duration=format_duration, ce_hours=format_hours,
        plural=plural, clock=format_clock,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
