"""The one Huey instance every task and schedule is registered on, and where it keeps its messages.

Tasks are registered when their modules are imported (with the app), so the instance exists before any app does;
:func:`init_app` then points it at the app's storage: Redis when ``JOBS_REDIS_URL`` is set (production, any number of
consumers on any number of machines), else a SQLite file of its own (``JOBS_SQLITE_PATH``, the embedded default that
needs no server), or, with ``JOBS_IMMEDIATE``, nowhere: each task runs at once in the process that enqueues it.
A process serves one app, so one instance per process is enough; the tests' apps reconfigure it in turn.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, has_app_context
from huey import Huey
from huey.api import TaskWrapper
from huey.storage import BaseStorage, MemoryStorage, RedisStorage, SqliteStorage
from redis import ConnectionPool

log = logging.getLogger(__name__)

# MemoryStorage until init_app: importing the package touches no file and no server.
queue = Huey("coursesite", results=False, utc=True, immediate=True, immediate_use_memory=False,
             storage_class=MemoryStorage)

_consumer_app: Flask | None = None


def init_app(app: Flask) -> None:
    config = app.config
    queue.name = config["JOBS_QUEUE_NAME"]
    queue.immediate = bool(config["JOBS_IMMEDIATE"])
    queue.storage = MemoryStorage(queue.name) if queue.immediate else build_storage(
        queue.name, redis_url=config["JOBS_REDIS_URL"], sqlite_path=config["JOBS_SQLITE_PATH"])


def build_storage(name: str, *, redis_url: str | None, sqlite_path: str) -> BaseStorage:
    if redis_url:
        # Bounded waits: a Redis that hangs must not hang the request that enqueues (the sweeper enqueues later).
        pool = ConnectionPool.from_url(redis_url, socket_connect_timeout=2, socket_timeout=10)
        return RedisStorage(name, connection_pool=pool)
    return SqliteStorage(name, filename=sqlite_path)


def bind_consumer_app(app: Flask) -> None:
    """The app whose context every task runs in, in a consumer process (built once per process)."""
    global _consumer_app
    _consumer_app = app


@contextmanager
def app_context() -> Iterator[None]:
    """The caller's app context (a task run at once, in immediate mode), or the consumer's app."""
    if has_app_context():
        yield
        return
    if _consumer_app is None:
        raise RuntimeError("a task ran outside an app: start consumers with `flask jobs work`")
    with _consumer_app.app_context():
        yield


def in_app_context(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` run inside :func:`app_context`; a task's body is wrapped in it before Huey registers it."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        with app_context():
            return function(*args, **kwargs)

    return run


def task(function: Callable[..., Any]) -> TaskWrapper:
    """A Huey task whose body runs in the app's context."""
    return queue.task()(in_app_context(function))


def scheduled(schedule: Callable[[Any], bool]) -> Callable[[Callable[..., Any]], TaskWrapper]:
    """A periodic task (``schedule`` is a ``huey.crontab``), run by the consumer's scheduler in the app's context.

    Every consumer started without ``--no-periodic`` schedules it, so each scheduled task must be harmless to run
    twice at once (all of ours are: they delete, blank or claim rows with conditional statements).
    """

    def decorate(function: Callable[..., Any]) -> TaskWrapper:
        return queue.periodic_task(schedule)(in_app_context(function))

    return decorate
