"""Static files linked under names that carry a hash of their content, so they can be cached for a year.

``url_for('static', filename='css/site.css')`` gives ``/static/css/site.<12 hex digits>.css``: the digest of the file
as it is on disk now, so an edited file gets a new name and browsers fetch it at once. Nothing is built or copied:
the hashed name maps back to the real file by taking the digest out, here for the development server and in nginx
for production (deploy/nginx/coursesite.conf, which serves ``/static/`` itself). A hashed name whose digest is the
file's own is answered ``immutable`` for a year; any other name (an old digest, say from a page cached before a
deploy) gets the current file without that promise.

The digest of a file is computed once per (size, modification time), so a page pays one ``stat`` per link.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app

from coursesite.permissions import public

DIGEST_LENGTH = 12
# "<stem>.<digest>.<suffix>": what hashed_name makes, and what the nginx site's static location matches.
HASHED_NAME = re.compile(r"(?P<stem>.+)\.[0-9a-f]{12}(?P<suffix>\.[A-Za-z0-9]+)")
ONE_YEAR = 365 * 24 * 3600

# Per file: the (modification time, size) its digest was computed for, and the digest. One entry a file, however
# often it is edited.
_digests: dict[str, tuple[tuple[int, int], str]] = {}


def file_digest(path: Path) -> str | None:
    """The first hex digits of the file's SHA-256, or None when there is no such file."""
    try:
        stat = path.stat()
    except OSError:
        return None
    version = (stat.st_mtime_ns, stat.st_size)
    known = _digests.get(str(path))
    if known is None or known[0] != version:
        known = version, hashlib.sha256(path.read_bytes()).hexdigest()[:DIGEST_LENGTH]
        _digests[str(path)] = known
    return known[1]


def hashed_name(static_folder: Path, filename: str) -> str:
    """``css/site.css`` -> ``css/site.<digest>.css``; a file without a suffix, or missing, keeps its name."""
    stem, dot, suffix = filename.rpartition(".")
    if not dot or "/" in suffix or not stem or stem.endswith("/"):
        return filename
    digest = file_digest(static_folder / filename)
    return f"{stem}.{digest}.{suffix}" if digest else filename


def _static_folder(app: Flask) -> Path:
    return Path(app.static_folder or "static")  # create_app always sets one


def _hash_static_links(endpoint: str, values: dict[str, Any]) -> None:
    """A ``url_defaults`` hook: every link to a static file carries its content's digest."""
    if endpoint == "static" and isinstance(values.get("filename"), str):
        values["filename"] = hashed_name(_static_folder(current_app), values["filename"])


@public  # CSS, scripts and images are the same for everyone
def static_file(filename: str) -> Response:
    """Flask's static view, taking the digest out of a hashed name."""
    app = current_app
    folder = _static_folder(app)
    match = HASHED_NAME.fullmatch(filename)
    if match is None or (folder / filename).is_file():
        return app.send_static_file(filename)
    real_name = match["stem"] + match["suffix"]
    response = app.send_static_file(real_name)
    if hashed_name(folder, real_name) == filename:
        response.cache_control.no_cache = None  # send_file's "ask again each time", for files without a digest
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(_hash_static_links)
    app.view_functions["static"] = static_file
