"""A quiz storm: 200 learners submitting their CE test at once, against gunicorn on PostgreSQL, driven by locust.

The issue asks for 0 errors, p99 < 500 ms and exactly one graded attempt per learner.

Set-up (not timed): a scratch PostgreSQL database (created, and dropped afterwards), migrated, the demo content
imported (its flagship module draws 10 questions an attempt from a bank of 138), and N learners, each with access,
the test-and-certificate add-on, every lecture watched, a live login session, an attempt started through the
service with every answer saved, and the attempt page's CSRF token. The app runs in production mode under gunicorn
(``--workers`` sync workers, default 4), behind the same headers a TLS proxy adds.

The storm: locust (headless) starts all N users at once (``--spawn-rate`` spreads them); each sends its one
submission (the form POST the "Submit for grading" button sends, answers included; with ``--double-click`` a second
time at once, like a double click), which must answer the redirect to the result. Afterwards the database must
hold exactly one graded attempt per learner, none in progress, and every learner's score must be the one their
saved answers give.

    .venv/bin/python bench/quiz_storm.py [--learners 200] [--workers 4] \
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import free_port  # noqa: E402

MODULE = "advances-in-relational-psychotherapy"
SCRATCH = "quiz_storm_bench"
P99_GOAL_MS = 500

# Runs in the app's environment: N ready learners, each with an attempt whose answers are saved (a mix of right and
# wrong, so scores differ), and per learner the cookie, the CSRF token, the submit URL, the answers and the score
# they must get. Prints the list as JSON.
LEARNERS_SCRIPT = """
import json, sys
from sqlalchemy import select
from coursesite import create_app
from coursesite.assessment.attempts import save_answers, start_attempt, score_of
from coursesite.assessment.models import Choice
from coursesite.billing.access import grant_entitlement
from coursesite.catalog.models import Lecture
from coursesite.extensions import db
from tests.factories import grant_access, make_user, module_id, watch
from tests.support import login_as
app = create_app()
found = []
with app.app_context():
    target = module_id("{module}")
    lectures = list(db.session.scalars(select(Lecture).where(Lecture.module_id == target)))
    for n in range({count}):
        user = make_user(f"storm-{{n}}@example.org")
        grant_access(user, target)
        grant_entitlement(user.id, target, kind="certificate", days=365, source="grant")
        db.session.commit()
        for lecture in lectures:
            watch(user, lecture)
        attempt = start_attempt(user.id, target)
        answers, results, pairs = {{}}, [], []
        for index, item in enumerate(attempt.questions):
            right = (index + n) % 4 != 0
            choice = db.session.scalar(select(Choice.id).where(Choice.question_id == item.question_id,
                                                               Choice.correct.is_(right)).limit(1))
            pairs.append((item.question_id, choice))
            answers[f"answer-{{item.question_id}}"] = str(choice)
            results.append(right)
        save_answers(user.id, attempt.id, pairs)
        client = login_as(app, user)
        page_url = f"/modules/{module}/test/attempts/{{attempt.id}}"
        page = client.get(page_url, base_url="https://localhost")
        assert page.status_code == 200, page.status_code
        token = page.get_data(as_text=True).split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        name = app.config["SESSION_COOKIE_NAME"]
        cookie = client.get_cookie(name, domain="localhost")
        found.append({{"user_id": user.id, "attempt_id": attempt.id, "cookie": f"{{name}}={{cookie.value}}",
                      "token": token, "page": page_url, "answers": answers, "score": score_of(results)}})
    db.session.remove()
json.dump(found, sys.stdout)
"""

# The locust file: each simulated learner submits once (with --double-click, twice in a row), then stops.
LOCUSTFILE = '''
import json, os
from locust import HttpUser, task, constant
from locust.exception import StopUser

LEARNERS = json.load(open(os.environ["QUIZ_STORM_LEARNERS"]))
DOUBLE_CLICK = os.environ.get("QUIZ_STORM_DOUBLE_CLICK") == "1"
NEXT = iter(LEARNERS)


class Learner(HttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.me = next(NEXT)

    @task
    def submit(self):
        me = self.me
        headers = {"Cookie": me["cookie"], "X-Forwarded-Proto": "https", "Host": "localhost",
                   "Referer": "https://localhost" + me["page"]}
        data = {"csrf_token": me["token"], **me["answers"]}
        for name in ("submit", "submit again")[:1 + DOUBLE_CLICK]:
            with self.client.post(me["page"] + "/submit", data=data, headers=headers, allow_redirects=False,
                                  name=name, catch_response=True) as response:
                if response.status_code != 303 or not response.headers.get("Location", "").endswith("/result"):
                    response.failure(f"{response.status_code} {response.headers.get('Location')}")
        raise StopUser()
'''


def scratch_database(admin_url: str) -> str:
    url = sa.engine.make_url(admin_url)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{SCRATCH}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{SCRATCH}"'))
    engine.dispose()
    return url.set(database=SCRATCH).render_as_string(hide_password=False)


def drop_scratch(admin_url: str) -> None:
    engine = sa.create_engine(sa.engine.make_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)'))
    engine.dispose()


def prepare(folder: Path, database_url: str, learners: int) -> tuple[dict[str, str], list[dict]]:
    env = dict(os.environ, COURSESITE_ENV="production", SECRET_KEY="bench-" + "x" * 40, DATABASE_URL=database_url,
               MEDIA_ROOT=str(folder / "media"), TRUSTED_PROXY_HOPS="1")
    env.pop("REDIS_URL", None)
    script = ("from flask_migrate import upgrade\n"
              "from coursesite import create_app\n"
              "from coursesite.catalog.content import import_content\n"
              "app = create_app()\n"
              "with app.app_context():\n"
              "    upgrade()\n"
              f"    report = import_content(__import__('pathlib').Path({str(ROOT / 'content')!r}))\n"
              "    assert report.ok, report.errors\n")
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"migrating and importing the demo content failed:\n{result.stderr}")
    result = subprocess.run([sys.executable, "-c", LEARNERS_SCRIPT.format(count=learners, module=MODULE)],
                            env=env, cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"preparing the learners failed:\n{result.stderr}")
    return env, json.loads(result.stdout)


def serve(env: dict[str, str], workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync",
                                "--backlog", "2048", "--log-level", "warning", "--bind", f"127.0.0.1:{port}",
                                "wsgi:app"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    import urllib.request

    for _ in range(200):
        try:
            request = urllib.request.Request(base + "/healthz", headers={"X-Forwarded-Proto": "https",
                                                                             "Host": "localhost"})
            urllib.request.urlopen(request, timeout=1)
            return process, base
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("gunicorn did not start")


def warm_up(base: str, learners: list[dict]) -> None:
    """A few learners (not in the storm) submit first, one after the other, so the storm does not time each worker's
    first compilation of the queries and views involved."""
    import urllib.parse
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    for learner in learners:
        body = urllib.parse.urlencode({"csrf_token": learner["token"], **learner["answers"]}).encode()
        request = urllib.request.Request(base + learner["page"] + "/submit", data=body, headers={
            "Cookie": learner["cookie"], "X-Forwarded-Proto": "https", "Host": "localhost",
            "Referer": "https://localhost" + learner["page"]})
        try:
            opener.open(request, timeout=30)
        except urllib.error.HTTPError as answer:  # the 303 to the result, not followed
            if answer.code != 303:
                raise SystemExit(f"warm-up submission answered {answer.code}") from None


def storm(base: str, folder: Path, learners: list[dict], spawn_rate: int,
          double_click: bool) -> dict[str, dict[str, str]]:
    data = folder / "learners.json"
    data.write_text(json.dumps(learners))
    locustfile = folder / "locustfile.py"
    locustfile.write_text(LOCUSTFILE)
    env = dict(os.environ, QUIZ_STORM_LEARNERS=str(data), QUIZ_STORM_DOUBLE_CLICK="1" if double_click else "0")
    count = len(learners)
    result = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", base, "-u", str(count),
         "-r", str(spawn_rate), "--run-time", "60s", "--stop-timeout", "30", "--csv", str(folder / "storm"),
         "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"],
        env=env, cwd=folder, capture_output=True, text=True)
    stats = folder / "storm_stats.csv"
    if not stats.exists():
        raise SystemExit(f"locust wrote no statistics:\n{result.stdout}\n{result.stderr}")
    with stats.open() as handle:
        return {row["Name"]: row for row in csv.DictReader(handle)}


def check_database(database_url: str, learners: list[dict]) -> tuple[int, list[str]]:
    engine = sa.create_engine(database_url)
    problems = []
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT user_id, status, score FROM attempts WHERE voided_at IS NULL")).all()
    engine.dispose()
    by_user: dict[int, list[tuple[str, int | None]]] = {}
    for user_id, status, score in rows:
        by_user.setdefault(user_id, []).append((status, score))
    graded_once = 0
    for learner in learners:
        mine = by_user.get(learner["user_id"], [])
        if mine == [("graded", learner["score"])]:
            graded_once += 1
        else:
            problems.append(f"learner {learner['user_id']}: {mine} (expected one graded attempt, {learner['score']}%)")
    return graded_once, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--spawn-rate", type=int, help="learners starting per second (default: all at once)")
    parser.add_argument("--double-click", action="store_true",
                        help="each learner sends the submission twice at once (it must be graded once)")
    parser.add_argument("--postgres", default=os.environ.get("QUIZ_STORM_POSTGRES",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
                        help="a PostgreSQL URL whose user may create the scratch database")
    args = parser.parse_args()
    if not shutil.which("pg_isready") and not args.postgres:
        raise SystemExit("PostgreSQL is needed")

    database_url = scratch_database(args.postgres)
    try:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            started = time.monotonic()
            env, everyone = prepare(folder, database_url, args.learners + 3 * args.workers)
            warmers, learners = everyone[:3 * args.workers], everyone[3 * args.workers:]
            prepared = time.monotonic() - started
            app, base = serve(env, args.workers)
            try:
                warm_up(base, warmers)
                spawn_rate = args.spawn_rate or args.learners
                stats = storm(base, folder, learners, spawn_rate, args.double_click)
            finally:
                app.terminate()
                app.wait()
            graded_once, problems = check_database(database_url, learners)
    finally:
        drop_scratch(args.postgres)

    total = stats["Aggregated"]
    failures = int(total["Failure Count"])
    p99 = float(total["99%"])
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.python_implementation()} {platform.python_version()}; gunicorn {args.workers} sync workers; "
          f"PostgreSQL; locust -u {args.learners} -r {spawn_rate}"
          f"{' (all at once)' if spawn_rate >= args.learners else ' per second'}"
          f"{'; each submission sent twice' if args.double_click else ''}; set-up {prepared:.0f} s")
    for name in ("submit", "submit again", "Aggregated"):
        row = stats.get(name)
        if row:
            print(f"{name:<14} requests {row['Request Count']:>4}  failures {row['Failure Count']:>3}  "
                  f"median {row['50%']:>5} ms  p95 {row['95%']:>5} ms  p99 {row['99%']:>5} ms  max "
                  f"{float(row['Max Response Time']):.0f} ms")
    print(f"graded exactly once with the expected score: {graded_once} of {len(learners)} learners")
    for problem in problems[:10]:
        print("  " + problem)
    ok = failures == 0 and p99 < P99_GOAL_MS and graded_once == len(learners)
    print(f"goal (0 errors, p99 < {P99_GOAL_MS} ms, one graded attempt each): {'met' if ok else 'NOT met'}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
