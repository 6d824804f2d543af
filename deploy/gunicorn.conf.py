"""gunicorn settings: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app`` (deploy/systemd/coursesite.service).

Every value can be changed from the environment without editing this file (the systemd unit's environment file):
``GUNICORN_BIND``, ``GUNICORN_WORKERS``, ``GUNICORN_TIMEOUT``. nginx (deploy/nginx/coursesite.conf) sits in front:
it buffers slow clients, so plain sync workers are the right kind.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
# gunicorn's own rule of thumb: two per core plus one (a worker waits on the database half of the time).
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# A request taking longer than this is stuck (pages answer in milliseconds; mail and slow work run in the job
# consumer): the worker is killed and replaced, nginx answers 504 to that one request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM (systemctl stop/restart) workers finish the requests they have, for up to this long.
graceful_timeout = 30
# Replace each worker after a number of requests (with jitter, so they do not all restart at once).
max_requests = 5000
max_requests_jitter = 500
# The workers' heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn's documented setting

# Logs to standard error, which systemd's journal keeps. The access log is Apache's "combined" format plus the
# time taken (seconds) and the request id the app echoes (X-Request-ID), which every app log line carries too.
accesslog = "-"
errorlog = "-"
access_log_format = ('%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s '
                     'request_id=%({x-request-id}o)s')
