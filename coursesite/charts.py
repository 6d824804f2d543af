"""Server-rendered bar charts: the geometry here, the SVG in templates/_charts.html.

No charting library is installed (pygal and its kind are not dependencies), and a horizontal bar chart of a few
means is a handful of rectangles, so the SVG is written by hand: ``role="img"`` with a title and a description that
state every figure, text at least 14px, bars with a visible outline, and the same figures in a table beside it
(the page's job, not the chart's).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Each bar has its label on a line of its own above it, so the chart stays narrow enough to be read on a phone
# without scrolling sideways (it scales with the page's width).
PLOT_WIDTH = 380  # px for the bars
VALUE_WIDTH = 90  # px for the figure at the end of each bar
ROW_HEIGHT = 50  # a label line and a bar
LABEL_BASELINE = 17
BAR_TOP = 24
BAR_HEIGHT = 18
AXIS_HEIGHT = 28
LABEL_CHARS = 52  # longer labels are shortened in the chart (the table keeps them whole)


@dataclass(frozen=True)
class Bar:
    label: str  # as shown in the chart (perhaps shortened)
    full_label: str
    value: float | None
    y: int
    width: float
    text: str  # the figure as written ("4.3", or "no ratings")


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str
    bars: list[Bar]
    ticks: list[Tick]
    width: int
    height: int
    plot_width: int = PLOT_WIDTH
    label_baseline: int = LABEL_BASELINE
    bar_top: int = BAR_TOP
    bar_height: int = BAR_HEIGHT


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def bar_chart(title: str, bars: Sequence[tuple[str, float | None]], *, maximum: float, minimum: float = 0,
              unit: str = "", decimals: int = 1) -> BarChart:
    """A horizontal bar chart of ``bars`` (label, value or None for "no data") on a scale from ``minimum`` to
    ``maximum``."""
    span = (maximum - minimum) or 1
    placed = []
    for index, (label, value) in enumerate(bars):
        shown = "no ratings" if value is None else f"{value:.{decimals}f}{unit}"
        clamped = 0.0 if value is None else min(max(value, minimum), maximum)
        width = 0.0 if value is None else (clamped - minimum) / span * PLOT_WIDTH
        placed.append(Bar(_short(label), label, value, index * ROW_HEIGHT, round(width, 1), shown))
    steps = int(span) if float(span).is_integer() and span <= 10 else 4
    ticks = [Tick(round(step / steps * PLOT_WIDTH, 1), f"{minimum + step * span / steps:g}")
             for step in range(steps + 1)]
    described = "; ".join(f"{bar.full_label}: {bar.text}" for bar in placed)
    description = (f"{title}, on a scale from {minimum:g} to {maximum:g}. {described}." if placed
                   else f"{title}: no data.")
    return BarChart(title, description, placed, ticks, PLOT_WIDTH + VALUE_WIDTH,
                    len(placed) * ROW_HEIGHT + AXIS_HEIGHT)
