"""A real deployment on loopback: Debian's nginx with deploy/nginx/coursesite.conf in front of two gunicorns started
with deploy/gunicorn.conf.py and production settings, a job consumer, the loopback SMTP server, and a database and
Redis key space of the test's own.

The database is a fresh PostgreSQL database beside TEST_POSTGRES_URL's (CI), or a shared SQLite file without it.
Redis (127.0.0.1:6379, or ``TEST_REDIS_URL``) is used when it answers, under a key prefix and queue name no other run
shares. nginx runs as the current user with its own prefix, pid file, logs and temp dirs, and a certificate made by
``openssl`` for 127.0.0.1. The only reason to skip is that nginx is not installed (``make test`` installs it).
"""
from __future__ import annotations

import getpass
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy as sa

from coursesite.config import PROJECT_ROOT
from tests.mail_sink import MailSink, free_port
from tests.support import FIXTURES

NGINX = Path("/usr/sbin/nginx")
SITE = PROJECT_ROOT / "deploy" / "nginx" / "coursesite.conf"
GUNICORN_CONF = PROJECT_ROOT / "deploy" / "gunicorn.conf.py"
BIN = Path(sys.executable).parent
ADMIN_EMAIL = "operator@deploy.example.org"
ADMIN_PASSWORD = "a deployment test passphrase"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
START_TIMEOUT = 30.0


@dataclass
class AppServer:
    port: int
    log: Path
    process: subprocess.Popen[bytes]

    def handled(self, request_id: str) -> bool:
        """Did this server's access log record the request with this id (deploy/gunicorn.conf.py's format)?"""
        return f"request_id={request_id}" in self.log.read_text(errors="replace")

    def kill(self) -> None:
        """Stop the whole server at once, master and workers, as a crash or a lost machine would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@dataclass
class Deployment:
    base_url: str
    http_url: str
    certificate: Path
    env: dict[str, str]
    servers: list[AppServer]
    mailbox: MailSink
    content: Path
    nginx_dir: Path
    consumer_log: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def session(self) -> requests.Session:
        browser = requests.Session()
        browser.trust_env = False  # REQUESTS_CA_BUNDLE or a proxy from the environment would win over verify
        browser.verify = str(self.certificate)
        return browser

    def url(self, path: str) -> str:
        return self.base_url + path

    def flask(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``flask --app wsgi ARGS`` with the deployment's settings, as an operator runs it."""
        return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=PROJECT_ROOT, env=self.env,
                              capture_output=True, text=True, timeout=120, check=True)

    def server_that_handled(self, request_id: str) -> AppServer:
        """The one app server whose access log has the request (gunicorn writes it just after the response)."""
        deadline = time.monotonic() + 5
        while not (found := [server for server in self.servers if server.handled(request_id)]):
            assert time.monotonic() < deadline, f"no app server logged the request {request_id}"
            time.sleep(0.05)
        (server,) = found
        return server


def run_checked(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, **kwargs)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def deploy_database(tmp_path_factory) -> Iterator[str]:
    """A database of the deployment's own: created beside TEST_POSTGRES_URL's and dropped after, or a SQLite file."""
    postgres_url = os.environ.get("TEST_POSTGRES_URL", "")
    if not postgres_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('deploy-db') / 'coursesite.db'}"
        return
    server = sa.make_url(postgres_url)
    name = f"{server.database}_deploy_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_settings() -> Iterator[dict[str, str]]:
    """REDIS_URL and a key prefix and queue name of this run's own, when Redis answers; their keys go afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis does not answer at {REDIS_URL}", pytrace=False)
        yield {}  # locally without Redis: the embedded queue (a SQLite file) and per-process caches
        return
    run = uuid.uuid4().hex[:12]
    prefix, queue_name = f"deploytest-{run}:", f"deploytest-{run}-jobs"
    yield {"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": prefix, "JOBS_QUEUE_NAME": queue_name}
    for pattern in (f"{prefix}*", f"*{queue_name}*"):
        for key in client.scan_iter(pattern):
            client.delete(key)
    client.close()


def make_certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "cert.pem", folder / "key.pem"
    run_checked(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                 "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(certificate)])
    return certificate, key


def site_config(*, http_port: int, https_port: int, app_ports: list[int], certificate: Path, key: Path,
                media_root: Path, logs: Path) -> str:
    """deploy/nginx/coursesite.conf with loopback ports and this run's paths; each replaced text must be there."""
    site = SITE.read_text()
    replacements = {
        "    listen [::]:80;\n": "",
        "    listen [::]:443 ssl http2;\n": "",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "server 127.0.0.1:8001 ": f"server 127.0.0.1:{app_ports[0]} ",
        "server 127.0.0.1:8002 ": f"server 127.0.0.1:{app_ports[1]} ",
        "/etc/letsencrypt/live/coursesite.example.org/fullchain.pem": str(certificate),
        "/etc/letsencrypt/live/coursesite.example.org/privkey.pem": str(key),
        "/srv/coursesite/instance/media/": f"{media_root}/",
        "/srv/coursesite/static/": f"{PROJECT_ROOT / 'static'}/",
        "/var/log/nginx/": f"{logs}/",
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx/coursesite.conf no longer contains {old!r}: update the deployment test"
        site = site.replace(old, new)
    return site


def nginx_main_config(folder: Path) -> str:
    """The main nginx.conf around the site: Debian's modules (brotli) and mime types, everything else in ``folder``."""
    temp = {name: folder / "temp" / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(parents=True, exist_ok=True)
    (folder / "modules").symlink_to("/usr/lib/nginx/modules")  # Debian's load_module lines name prefix/modules/
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""  # as root, workers would become www-data
    return f"""{user}include /etc/nginx/modules-enabled/*.conf;
worker_processes 1;
pid {folder / 'nginx.pid'};
error_log {folder / 'error.log'} info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    types {{ text/vtt vtt; audio/mp4 m4a; }}
    sendfile on;
    client_body_temp_path {temp['client_body']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
    include {folder / 'coursesite.conf'};
}}
"""


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, **kwargs) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url}: the process ended ({process.returncode}):\n{log.read_text(errors='replace')}")
        try:
            if requests.get(url, timeout=2, **kwargs).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {START_TIMEOUT} s:\n{log.read_text(errors='replace')}")


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def deployment(tmp_path_factory, deploy_database, redis_settings) -> Iterator[Deployment]:
    if not NGINX.exists():
        pytest.fail("Debian's nginx is not installed (`make test` installs it: apt-get install nginx "
                    "libnginx-mod-http-brotli-filter)")
    root = tmp_path_factory.mktemp("deployment")
    nginx_dir, media_root, content = root / "nginx", root / "media", root / "content"
    nginx_dir.mkdir()
    media_root.mkdir()
    shutil.copytree(FIXTURES / "content", content)
    certificate, key = make_certificate(root)
    mailbox = MailSink()
    mailbox.start()
    http_port, https_port, app_ports = free_port(), free_port(), [free_port(), free_port()]
    base_url = f"https://127.0.0.1:{https_port}"
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("FLASK_", "GUNICORN_"))},
        "COURSESITE_ENV": "production",
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "DATABASE_URL": deploy_database,
        "BASE_URL": base_url,
        "MEDIA_ROOT": str(media_root),
        "MEDIA_DELIVERY": "x-accel",
        "CONTENT_ROOT": str(content),
        "JOBS_SQLITE_PATH": str(root / "jobs.db"),
        **{name: str(value) for name, value in mailbox.settings.items()},
        "GUNICORN_WORKERS": "2",
        **redis_settings,
    }
    if not redis_settings:
        env.pop("REDIS_URL", None)
    processes: list[subprocess.Popen[bytes]] = []
    consumer_log = root / "jobs.log"
    deployment = Deployment(base_url, f"http://127.0.0.1:{http_port}", certificate, env, [], mailbox, content,
                            nginx_dir, consumer_log, processes)
    try:
        deployment.flask("db", "upgrade")
        deployment.flask("content", "import", str(content / "sample-module"))
        password_file = root / "admin-password"
        password_file.write_text(ADMIN_PASSWORD + "\n")
        deployment.flask("users", "create-admin", ADMIN_EMAIL, "--password-file", str(password_file))
        for port in app_ports:
            log = root / f"gunicorn-{port}.log"
            process = start([str(BIN / "gunicorn"), "--config", str(GUNICORN_CONF), "wsgi:app"],
                            {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, log)
            processes.append(process)
            deployment.servers.append(AppServer(port, log, process))
            wait_until_up(f"http://127.0.0.1:{port}/healthz", process, log)
        processes.append(start([str(BIN / "flask"), "--app", "wsgi", "jobs", "work"], env, consumer_log))
        (nginx_dir / "coursesite.conf").write_text(site_config(
            http_port=http_port, https_port=https_port, app_ports=app_ports, certificate=certificate, key=key,
            media_root=media_root, logs=nginx_dir))
        (nginx_dir / "nginx.conf").write_text(nginx_main_config(nginx_dir))
        nginx = [str(NGINX), "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf")]
        run_checked([*nginx, "-t"])
        nginx_log = nginx_dir / "nginx.out"
        processes.append(start([*nginx, "-g", "daemon off;"], env, nginx_log))
        wait_until_up(deployment.url("/healthz"), processes[-1], nginx_log, verify=str(certificate))
        yield deployment
    finally:
        for process in reversed(processes):
            stop(process, signal.SIGINT if process.args[1:4] == ["--app", "wsgi", "jobs"] else signal.SIGTERM)
        mailbox.stop()
