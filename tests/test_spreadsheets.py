"""CSV downloads are safe to open in a spreadsheet: cells that would run as formulas are escaped."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursesite.charts import bar_chart
from coursesite.spreadsheets import FORMULA_STARTS, csv_text, safe_cell


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd",
                                       "\r=1"])
def test_cells_that_start_a_formula_are_prefixed_with_an_apostrophe(dangerous):
    assert safe_cell(dangerous) == "'" + dangerous


def test_numbers_dates_booleans_and_plain_text_are_kept():
    moment = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert [safe_cell(value) for value in (-3, 4.5, True, None, moment, "Plain, text")] == \
        [-3, 4.5, "yes", "", "2026-03-01T09:30:00+00:00", "Plain, text"]


@given(st.lists(st.lists(st.text(max_size=30), min_size=1, max_size=4), max_size=5))
def test_no_cell_read_back_starts_a_formula_and_the_text_survives(rows):
    parsed = list(csv.reader(io.StringIO(csv_text(["a", "b", "c", "d"], rows), newline="")))
    assert len(parsed) == len(rows) + 1
    for written, read in zip(rows, parsed[1:], strict=True):
        for original, cell in zip(written, read, strict=True):
            assert not cell.startswith(FORMULA_STARTS)
            assert cell in (original, "'" + original)


def test_the_bar_chart_scales_bars_and_describes_every_figure():
    chart = bar_chart("Mean rating per lecture", [("First", 5.0), ("Second", 2.5), ("Unrated", None)], maximum=5)
    widths = [bar.width for bar in chart.bars]
    assert widths[0] == 2 * widths[1] > 0 and widths[2] == 0
    assert [bar.text for bar in chart.bars] == ["5.0", "2.5", "no ratings"]
    assert "First: 5.0; Second: 2.5; Unrated: no ratings" in chart.description
    assert [tick.text for tick in chart.ticks] == ["0", "1", "2", "3", "4", "5"]
