import pytest

from coursesite.markdown import render_markdown
from coursesite.money import format_money
from coursesite.templating import format_clock, format_duration, format_hours, plural


@pytest.mark.parametrize(("seconds", "text"), [(0, "0 s"), (4.4, "4 s"), (142.6, "2 min 23 s"), (3725, "1 h 02 min")])
def test_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize(("seconds", "text"), [(0, "0:00"), (65.9, "1:05"), (3725, "1:02:05")])
def test_clock(seconds, text):
    assert format_clock(seconds) == text


def test_money_hours_and_plurals():
    assert format_money(26500) == "$265" and format_money(13550) == "$135.50" and format_money(500, "chf") == "5 CHF"
    assert format_hours(21.0) == "21 CE hours" and format_hours(1) == "1 CE hour"
    assert format_hours(1.5) == "1.5 CE hours"
    assert plural(1, "lecture") == "1 lecture" and plural(0, "lecture") == "0 lectures"


def test_markdown_is_sanitised_and_headings_start_at_h2():
    html = render_markdown("# Title\n\n<img src=x onerror=alert(1)> [x](javascript:alert(1)) [ok](https://example.org)")
    assert "<h2>Title</h2>" in html
    assert "<img" not in html and 'href="javascript' not in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">ok</a>' in html
