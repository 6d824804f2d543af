"""Requests per second of the lecture page for a signed-in learner, as a share of a bare Flask hello-world.

As bench/pages.py: both apps run under gunicorn (2 sync workers) on this machine, one after the other, and wrk loads
each for the same time with the same connections; the app runs in production mode on a SQLite file holding 100
generated modules (6 lectures each). The page measured is a lecture the learner has access to, with a transcript of
a 45-minute lecture (675 cues, two speakers; its module's other lectures have one as long) and 12 of the learner's
notes on it, requested with the learner's
login cookie, as a browser would after logging in through the form; the account page, the lightest signed-in page,
is measured too for scale. The app runs with REDIS_URL (the local Redis, or BENCH_REDIS_URL) for rate limits and the
cache, as in production. Ratios, not absolute figures, compare across machines; the target is 25% of hello-world
(issue 14).

    make bench            # or: .venv/bin/python bench/lecture.py --duration 10
"""
from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import hello_world_rate, serve, with_production_redis, wrk, wrk_arguments  # noqa: E402

EMAIL = "bench.learner@example.org"
PASSWORD = "bench lantern orchard violet"  # noqa: S105 - a throwaway account in a temporary database
CUES, CUE_SECONDS, NOTES = 675, 4.0, 12

SETUP = f"""
from flask_migrate import upgrade
from coursesite import create_app
from coursesite.accounts.models import User
from coursesite.accounts.passwords import hash_password
from coursesite.billing.access import grant_entitlement
from coursesite.extensions import db
from coursesite.learning.notes import add_note
from coursesite.models_base import utcnow
from coursesite.synthetic import add_synthetic_modules

app = create_app()
with app.app_context():
    upgrade()
    modules = add_synthetic_modules({{modules}})
    module = modules[len(modules) // 2]
    for each in module.lectures:  # every lecture of the module has a full transcript, as real ones do
        each.duration_seconds = {CUES * CUE_SECONDS}
        each.cues = [{{"start": n * {CUE_SECONDS}, "end": n * {CUE_SECONDS} + 3.8,
                      "speaker": ("Dr Ada Quill", "Bo Harrow")[n // 6 % 2],
                      "text": f"Line {{n}} of the talk, about rupture and repair in the therapeutic alliance."}}
                     for n in range({CUES})]
    lecture = module.lectures[1]
    user = User(email="{EMAIL}", password_hash=hash_password("{PASSWORD}"), full_name="Bench Learner",
                profession="Psychologist", role="learner", confirmed_at=utcnow())
    db.session.add(user)
    db.session.commit()
    grant_entitlement(user.id, module.id, kind="access", days=365, source="grant")
    db.session.commit()
    for n in range({NOTES}):
        add_note(user.id, lecture, str(n * 200), f"Note {{n}}: a thought worth keeping about this part.")
    print(f"/modules/{{module.slug}}/lectures/{{lecture.slug}}")
"""


def prepare(folder: Path, modules: int) -> tuple[dict[str, str], str]:
    env = dict(os.environ, COURSESITE_ENV="production", SECRET_KEY="bench-" + "x" * 40,
               DATABASE_URL=f"sqlite:///{folder / 'bench.db'}", MEDIA_ROOT=str(folder / "media"))
    env.pop("REDIS_URL", None)
    done = subprocess.run([sys.executable, "-c", SETUP.replace("{modules}", str(modules))], env=env, cwd=ROOT,
                          check=True, capture_output=True, text=True)
    return env, done.stdout.strip().splitlines()[-1]


def cookies_from(response: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]


def log_in(base: str) -> str:
    """Log in through the form, as a browser over TLS would (behind the proxy header), and return the Cookie header.

    (The cookies are ``Secure``: urllib's cookie jar would not send them over the plain loopback connection.)
    """
    host = urllib.parse.urlsplit(base).netloc
    jar: dict[str, str] = {}

    def request(method: str, path: str, body: str | None = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection(host, timeout=10)
        headers = {"X-Forwarded-Proto": "https", "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}
        if body is not None:  # over TLS, Flask-WTF also wants the form to come from this site
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Referer": f"https://{host}/auth/login"})
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        cookies_from(response, jar)
        connection.close()
        return response

    connection = http.client.HTTPConnection(host, timeout=10)
    connection.request("GET", "/auth/login", headers={"X-Forwarded-Proto": "https"})
    page = connection.getresponse()
    cookies_from(page, jar)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                      page.read().decode())
    connection.close()
    if token is None:
        raise SystemExit("no CSRF token on the login page")
    form = urllib.parse.urlencode({"csrf_token": token.group(1) or token.group(2), "email": EMAIL,
                                   "password": PASSWORD})
    answer = request("POST", "/auth/login", form)
    if answer.status != 302:
        raise SystemExit(f"logging in answered {answer.status}")
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def check_page(base: str, path: str, cookie: str) -> None:
    """The page answers 200 with the learner's notes on it: the measurement is of the real, signed-in page."""
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc, timeout=10)
    connection.request("GET", path, headers={"X-Forwarded-Proto": "https", "Cookie": cookie})
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    if response.status != 200 or "Note 11: a thought worth keeping" not in body or body.count('class="cue') < CUES:
        raise SystemExit(f"{path} answered {response.status} without the learner's page")


def main() -> None:
    parser = wrk_arguments(__doc__)
    parser.add_argument("--modules", type=int, default=100)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        env, path = prepare(Path(folder), args.modules)
        baseline = hello_world_rate(args.duration, args.connections)
        app, base = serve("wsgi:app", with_production_redis(env), ROOT)
        try:
            cookie = log_in(base)
            check_page(base, path, cookie)
            wrk(base + path, 2, args.connections, f"Cookie: {cookie}")  # warm-up
            rate = wrk(base + path, args.duration, args.connections, f"Cookie: {cookie}")
            # For scale: the lightest signed-in page there is (the account page: a form, no content).
            account = wrk(base + "/account", args.duration, args.connections, f"Cookie: {cookie}")
        finally:
            app.terminate()
            app.wait()

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; gunicorn 2 sync workers; "
          f"wrk -t2 -c{args.connections} -d{args.duration}s; {args.modules} modules; {CUES} cues, {NOTES} notes")
    print(f"{'hello-world':<36} {baseline:>9.0f} req/s   100.0%")
    print(f"{'lecture page, signed in':<36} {rate:>9.0f} req/s   {100 * rate / baseline:5.1f}%")
    print(f"{'/account, signed in (for scale)':<36} {account:>9.0f} req/s   {100 * account / baseline:5.1f}%")


if __name__ == "__main__":
    main()
