"""What the attendance tests share: a module of ten-minute lectures, a learner with access, a clock the progress
service reads, and a player that reports as static/js/progress.js does. Test files import the fixtures with
``from tests.learning.progress_fixtures import *`` and the helpers by name."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from coursesite.catalog.models import Lecture, Module
from coursesite.extensions import db
from coursesite.learning import progress
from coursesite.learning.models import LectureProgress
from tests.factories import grant_access, make_module, make_user
from tests.support import login_as

MODULE = "attendance-module"
LECTURE = "the-talk"  # needs access
PREVIEW = "a-taste"
URL = f"/modules/{MODULE}/lectures/{{}}/progress"
PAGE = f"/modules/{MODULE}/lectures/{{}}"
DURATION = 600.0
TOKEN = re.compile(r'data-csrf-token="([^"]+)"')
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Clock:
    """The time the progress service sees, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(progress, "utcnow", clock)
    return clock


def lecture(slug: str = LECTURE) -> Lecture:
    return db.session.scalar(select(Lecture).where(Lecture.slug == slug))


def add_lecture(module: Module, slug: str, position: int, *, duration: float = DURATION,
                preview: bool = False) -> Lecture:
    item = Lecture(module_id=module.id, position=position, slug=slug, title=slug.replace("-", " ").title(),
                   kind="video_lecture", duration_seconds=duration, preview=preview,
                   media_path=f"lectures/{slug}.mp4", media_type="video/mp4",
                   captions_path=f"lectures/{slug}.vtt", slides_path=None, cues=[])
    db.session.add(item)
    db.session.commit()
    return item


@pytest.fixture
def course(app) -> Module:
    """A module of ten-minute lectures: a preview, and one that needs access."""
    module = make_module(MODULE, "Attendance module")
    add_lecture(module, PREVIEW, 1, preview=True)
    add_lecture(module, LECTURE, 2)
    return module


class Player:
    """A logged-in learner's browser on a lecture page: it reports as static/js/progress.js does."""

    def __init__(self, app, user, slug: str = LECTURE) -> None:
        self.client = login_as(app, user)
        self.slug = slug
        page = self.client.get(PAGE.format(slug))
        assert page.status_code == 200
        self.token = TOKEN.search(page.get_data(as_text=True)).group(1)

    def report(self, intervals=(), position=None, rate=1.0, visible=True, **extra):
        body = {"intervals": [list(span) for span in intervals], "rate": rate, "visible": visible, **extra}
        if position is not None:
            body["position"] = position
        return self.send(json.dumps(body))

    def send(self, text: str, **headers):
        return self.client.post(URL.format(self.slug), data=text, content_type="application/json",
                                headers={"X-CSRFToken": self.token, **headers})

    def beacon(self, report: dict, token: str | None = None):
        """navigator.sendBeacon's form: the token in a field, the report as JSON in another."""
        data = {"report": json.dumps(report)}
        if token is not None:
            data["csrf_token"] = token
        return self.client.post(URL.format(self.slug), data=data, content_type="multipart/form-data")


@pytest.fixture
def learner(app, course):
    user = make_user()
    grant_access(user, course)
    return user


@pytest.fixture
def player(app, learner, clock) -> Player:
    return Player(app, learner)


def stored(user, slug: str = LECTURE) -> LectureProgress | None:
    db.session.expire_all()
    return db.session.scalar(select(LectureProgress).where(LectureProgress.user_id == user.id,
                                                           LectureProgress.lecture_id == lecture(slug).id))


def play(player: Player, clock: Clock, start: float, end: float, step: float = 10.0) -> None:
    """Play ``start``..``end`` at normal speed, reporting every ``step`` seconds as the player does."""
    position = start
    while position < end:
        following = min(end, position + step)
        clock.advance(following - position)
        assert player.report([(position, following)], position=following).status_code == 200
        position = following


__all__ = ["clock", "course", "learner", "player"]
