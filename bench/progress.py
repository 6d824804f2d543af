"""Requests per second of the progress endpoint (a player's report, a database write), as a ratio of a bare Flask
hello-world measured in the same run. The issue asks for at least 30%.

As bench/pages.py does: both apps under gunicorn (2 sync workers), one after the other, wrk loading each for the same
time with the same connections; the app in production mode on a SQLite file with generated modules. Here wrk POSTs
JSON reports (10 s played, position, rate, visible) as 16 logged-in learners with access, each with its login
cookie and CSRF token, rotating over them, so every request is a full report: session, gate, access check, the row
read and written back, committed. For reference the same run measures the signed-in lecture page. The per-account
rate limit is raised for the run (PROGRESS_RATE_LIMIT), everything else is as deployed: with REDIS_URL (the local
Redis, or BENCH_REDIS_URL) for rate limits and the cache, as in production. Each learner keeps one row
per lecture however many reports arrive.

    .venv/bin/python bench/progress.py [--duration 10] [--connections 16] [--learners 16]
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import hello_world_rate, prepare_database, serve, with_production_redis, wrk, wrk_arguments  # noqa: E402

MODULE, LECTURE = "synthetic-1", "lecture-1"
REPORT_URL = f"/modules/{MODULE}/lectures/{LECTURE}/progress"

# Logs each learner in (a live server-side login session, as tests.support.login_as does), grants access, and prints
# per learner the session cookie and the CSRF token of the lecture page, as JSON.
LEARNERS_SCRIPT = """
import json, sys
from coursesite import create_app
from coursesite.extensions import db
from tests.factories import grant_access, make_user, module_id
from tests.support import login_as
app = create_app()
found = []
with app.app_context():
    for n in range({count}):
        user = make_user(f"bench-learner-{{n}}@example.org")
        grant_access(user, module_id("{module}"))
        client = login_as(app, user)
        page = client.get("{page}", base_url="https://localhost")  # the app's own name (production: HTTPS)
        assert page.status_code == 200, page.status_code
        token = page.get_data(as_text=True).split('data-csrf-token="', 1)[1].split('"', 1)[0]
        name = app.config["SESSION_COOKIE_NAME"]
        cookie = client.get_cookie(name, domain="localhost")
        found.append({{"cookie": f"{{name}}={{cookie.value}}", "token": token}})
    db.session.remove()
json.dump(found, sys.stdout)
"""

# wrk's Lua: each request is the next learner's report.
WRK_SCRIPT = """
local learners = {learners}
local body = '{body}'
local counter = 0
request = function()
  counter = counter + 1
  local learner = learners[(counter % #learners) + 1]
  local headers = {{}}
  headers["Content-Type"] = "application/json"
  headers["Accept"] = "application/json"
  headers["X-Forwarded-Proto"] = "https"
  headers["Cookie"] = learner[1]
  headers["X-CSRFToken"] = learner[2]
  headers["Referer"] = "{referer}"
  headers["Host"] = "localhost"
  return wrk.format("POST", "{path}", headers, body)
end
"""


def learners(env: dict[str, str], count: int) -> list[dict[str, str]]:
    script = LEARNERS_SCRIPT.format(count=count, module=MODULE, page=f"/modules/{MODULE}/lectures/{LECTURE}")
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"logging the learners in failed:\n{result.stderr}")
    return json.loads(result.stdout)


def lua_table(found: list[dict[str, str]]) -> str:
    return "{" + ", ".join(f'{{"{item["cookie"]}", "{item["token"]}"}}' for item in found) + "}"


def main() -> None:
    parser = wrk_arguments(__doc__, "seconds of load (default 10)")
    parser.add_argument("--learners", type=int, default=16)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        env = prepare_database(Path(folder), 10)
        env["PROGRESS_RATE_LIMIT"] = "1000000/minute"
        found = learners(env, args.learners)
        baseline = hello_world_rate(args.duration, args.connections)
        app, base = serve("wsgi:app", with_production_redis(env), ROOT)
        try:
            body = json.dumps({"intervals": [[0, 10]], "position": 10, "rate": 1, "visible": True})
            script = Path(folder) / "report.lua"
            script.write_text(WRK_SCRIPT.format(learners=lua_table(found), body=body, path=REPORT_URL,
                                                referer=f"https://localhost/modules/{MODULE}/lectures/{LECTURE}"))
            wrk(base + REPORT_URL, 2, args.connections, script=script)  # warm-up
            rate = wrk(base + REPORT_URL, args.duration, args.connections, script=script)
            page_url = base + f"/modules/{MODULE}/lectures/{LECTURE}"
            headers = ("Host: localhost", f"Cookie: {found[0]['cookie']}")
            wrk(page_url, 2, args.connections, *headers)  # warm-up
            page_rate = wrk(page_url, args.duration, args.connections, *headers)
        finally:
            app.terminate()
            app.wait()

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; gunicorn 2 sync workers; "
          f"wrk -t2 -c{args.connections} -d{args.duration}s; SQLite; {args.learners} learners reporting in turn")
    print(f"{'hello-world':<56} {baseline:>9.0f} req/s   100.0%")
    print(f"{'POST ' + REPORT_URL:<56} {rate:>9.0f} req/s   {100 * rate / baseline:5.1f}%  (goal >= 30%)")
    reference = "GET lecture page, signed in (reference)"
    print(f"{reference:<56} {page_rate:>9.0f} req/s   {100 * page_rate / baseline:5.1f}%")


if __name__ == "__main__":
    main()
