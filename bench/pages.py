"""Requests per second of the public catalogue pages, as ratios of a bare Flask hello-world.

Both apps run under gunicorn (2 sync workers) on this machine, one after the other, and wrk loads each URL for the
same time with the same connections. The app runs in production mode on a SQLite file holding 100 generated modules
(6 lectures each). Ratios, not absolute figures, are what compare across machines.

    make bench            # or: .venv/bin/python bench/pages.py --duration 10
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
HTTPS_PROXY_HEADER = {"X-Forwarded-Proto": "https"}
GUNICORN = [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync", "--log-level", "warning"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(folder: Path, modules: int) -> dict[str, str]:
    env = dict(os.environ, COURSESITE_ENV="production", SECRET_KEY="bench-" + "x" * 40,
               DATABASE_URL=f"sqlite:///{folder / 'bench.db'}", MEDIA_ROOT=str(folder / "media"))
    env.pop("REDIS_URL", None)
    script = (
        "from flask_migrate import upgrade\n"
        "from coursesite import create_app\n"
        "from coursesite.synthetic import add_synthetic_modules\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    upgrade()\n"
        f"    add_synthetic_modules({modules})\n"
    )
    subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True)
    return env


def with_production_redis(env: dict[str, str]) -> dict[str, str]:
    """``env`` with ``REDIS_URL`` as production has it (rate limits and the page cache in Redis, not in each worker's
    memory), under a key prefix of this run's own: ``BENCH_REDIS_URL``, default the local server. Without an
    answering Redis, the app's memory fallbacks serve, and the run says so."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as error:  # noqa: BLE001 - any failure means: run without Redis
        print(f"Redis at {url} does not answer ({error}); rate limits and the cache stay in memory", file=sys.stderr)
        return env
    return dict(env, REDIS_URL=url, REDIS_KEY_PREFIX=f"bench-{os.getpid()}-{time.time_ns()}:")


def serve(target: str, env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([*GUNICORN, "--bind", f"127.0.0.1:{port}", target], env=env, cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            # Production forces HTTPS; behind the proxy that header says the request came in over TLS.
            urllib.request.urlopen(urllib.request.Request(base + "/", headers=HTTPS_PROXY_HEADER), timeout=1)
            return process, base
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{target} did not start on {base}")


def wrk(url: str, duration: int, connections: int, *headers: str, script: Path | None = None) -> float:
    """Requests per second of ``wrk -t2`` on ``url`` (as if behind the TLS proxy, with ``headers`` and an optional
    Lua ``script``); fails loudly on any non-2xx answer so errors are never counted as speed. Every benchmark that
    loads the app over HTTP uses this one runner."""
    options = [item for header in ("X-Forwarded-Proto: https", *headers) for item in ("-H", header)]
    if script is not None:
        options += ["-s", str(script)]
    result = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", *options, url],
                            capture_output=True, text=True, check=True)
    if "Non-2xx" in result.stdout:
        raise SystemExit(f"{url} answered errors:\n{result.stdout}")
    if os.environ.get("BENCH_VERBOSE"):
        print(result.stdout)
    found = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if found is None:
        raise SystemExit(f"wrk printed no rate:\n{result.stdout}\n{result.stderr}")
    return float(found.group(1))


def hello_world_rate(duration: int, connections: int) -> float:
    """The reference of every HTTP benchmark: a bare Flask hello-world (bench/hello.py) under the same gunicorn and
    wrk settings, in the same run."""
    hello, hello_base = serve("hello:app", dict(os.environ), ROOT / "bench")
    try:
        wrk(hello_base + "/", 2, connections)  # warm-up
        return wrk(hello_base + "/", duration, connections)
    finally:
        hello.terminate()
        hello.wait()


def wrk_arguments(description: str | None, duration_help: str = "seconds of load per URL (default 10)"
                  ) -> argparse.ArgumentParser:
    """The options every wrk benchmark takes (load duration and connections); fails early when wrk is missing."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk (make bench installs it)")
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help=duration_help)
    parser.add_argument("--connections", type=int, default=16)
    return parser


def main() -> None:
    parser = wrk_arguments(__doc__)
    parser.add_argument("--modules", type=int, default=100)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        env = prepare_database(Path(folder), args.modules)
        baseline = hello_world_rate(args.duration, args.connections)
        app, base = serve("wsgi:app", env, ROOT)
        try:
            results = {}
            for path in ("/catalog", f"/modules/synthetic-{args.modules // 2}"):
                wrk(base + path, 2, args.connections)  # warm-up: fills each worker's cache
                results[path] = wrk(base + path, args.duration, args.connections)
        finally:
            app.terminate()
            app.wait()

    print(f"machine: {os.cpu_count()} cores; gunicorn 2 sync workers; wrk -t2 -c{args.connections} "
          f"-d{args.duration}s; {args.modules} modules")
    print(f"{'hello-world':<28} {baseline:>9.0f} req/s   100.0%")
    for path, rate in results.items():
        print(f"{path:<28} {rate:>9.0f} req/s   {100 * rate / baseline:5.1f}%")


if __name__ == "__main__":
    main()
