"""Registration's time for an address that has an account against one that has not: medians and their ratio.

The request does the same work for both (check, one password hash, one job enqueued; the job decides later, in a
consumer), so the ratio should be close to 1: the time a registration takes must not tell who has an account
(issue 13). Requests alternate between the two kinds, so drift affects both alike.

The app runs in-process (Flask's test client) on a SQLite file, with the embedded SQLite queue, as bench/jobs.py
does; no consumer runs, so the jobs wait in the queue (their work is not the request's).

    .venv/bin/python bench/registration.py [--runs 25]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.jobs import bench_app, post_registration  # noqa: E402
from coursesite.jobs.queue import queue  # noqa: E402
from tests.factories import make_user  # noqa: E402

KNOWN = "known.person@example.org"


def timed_registrations(app, runs: int) -> tuple[list[float], list[float]]:
    """Seconds per registration of the known address, and of a new address each time."""
    with app.app_context():
        make_user(KNOWN)
    client = app.test_client()

    def register(email: str) -> float:
        started = time.perf_counter()
        response = post_registration(client, email)
        elapsed = time.perf_counter() - started
        if response.status_code != 302:
            raise RuntimeError(f"registering answered {response.status_code}")
        return elapsed

    register("warm.up@example.org")
    known, unknown = [], []
    for n in range(runs):
        known.append(register(KNOWN))
        unknown.append(register(f"new{n}@example.org"))
    queue.flush()  # the jobs are not run here
    return known, unknown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    options = parser.parse_args()
    with bench_app("coursesite-bench-registration-") as (app, _sink, _folder):
        known, unknown = timed_registrations(app, options.runs)
    known_ms, unknown_ms = statistics.median(known) * 1000, statistics.median(unknown) * 1000
    print(f"register, address with an account    {known_ms:8.1f} ms (median of {options.runs})")
    print(f"register, address without an account {unknown_ms:8.1f} ms (median of {options.runs})")
    print(f"unknown / known: {unknown_ms / known_ms:.2f}x (the same work: goal close to 1)")


if __name__ == "__main__":
    main()
