"""Where stored files (lecture media, captions, slides, speaker photos) live: the one home of storing and fetching them.

A file is stored under a name made of its folder and the hash of its content (``lectures/<24 hex>.mp4``), which the
database rows keep. Two stores hold such names:

- :class:`LocalMediaStore`, a folder (``MEDIA_ROOT``), for ``MEDIA_DELIVERY=send_file`` (development) and ``x-accel``
  (nginx sends the file after the app's check);
- :class:`S3MediaStore`, an S3-compatible bucket, for ``MEDIA_DELIVERY=s3``: the app checks access, then answers with a
  redirect to a presigned URL that expires in ``MEDIA_S3_URL_EXPIRY_MINUTES``, so no media byte passes through Python.

The catalogue's importer stores files through :func:`media_store` (``flask content import`` uploads to the bucket),
its exporter fetches them back, and learning's media routes ask it for the URL to send a browser to. A shared helper:
it imports no feature package.
"""
from __future__ import annotations

import hashlib
import mimetypes
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from flask import Flask, current_app

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Browsers only load caption tracks served as text/vtt; Python's table may not know these suffixes.
mimetypes.add_type("text/vtt", ".vtt")
mimetypes.add_type("audio/mp4", ".m4a")

# The settings MEDIA_DELIVERY=s3 cannot do without (README, Configuration); the endpoint URL is optional (AWS itself).
S3_REQUIRED = ("MEDIA_S3_BUCKET", "MEDIA_S3_REGION", "MEDIA_S3_ACCESS_KEY_ID", "MEDIA_S3_SECRET_ACCESS_KEY")
# A presigned URL lives minutes, not hours: long enough to start and seek a lecture, short enough that a copied link
# stops working soon after access ends.
S3_EXPIRY_RANGE = range(1, 61)
# Objects under this folder are the same for everyone (speaker photos): browsers may keep them a day.
PUBLIC_FOLDERS = ("speakers",)
PUBLIC_CACHE_CONTROL = "public, max-age=86400"
PRIVATE_CACHE_CONTROL = "private, no-store"


def content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def stored_name(source: Path, folder: str) -> str:
    """The name ``source`` is stored under: ``folder/<first 24 hex of its SHA-256><suffix>``."""
    with source.open("rb") as stream:
        digest = hashlib.file_digest(stream, "sha256").hexdigest()[:24]
    return f"{folder}/{digest}{source.suffix.lower()}"


class MediaStore(Protocol):
    def store(self, source: Path, folder: str) -> str:
        """Store ``source`` under ``folder`` by its content hash, unless already there; return the stored name."""

    def fetch(self, name: str, target: Path) -> None:
        """Copy the stored file ``name`` to ``target``."""

    def prepare(self) -> None:
        """Once per import, before the first file: make the store ready to serve what is stored."""


class LocalMediaStore:
    """Files under a folder. A file already stored is never rewritten, so pages serving the previous import keep
    working while a new one runs and a failed import leaves nothing that a database row points at."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def store(self, source: Path, folder: str) -> str:
        name = stored_name(source, folder)
        target = self.root / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            shutil.copyfile(source, temporary)
            os.replace(temporary, target)
        return name

    def fetch(self, name: str, target: Path) -> None:
        shutil.copyfile(self.root / name, target)

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)


def s3_client(config: dict[str, Any]) -> S3Client:
    """A boto3 client for the configured bucket (creating it makes no network call)."""
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client(
        "s3",
        endpoint_url=config.get("MEDIA_S3_ENDPOINT_URL") or None,
        region_name=config["MEDIA_S3_REGION"],
        aws_access_key_id=config["MEDIA_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=config["MEDIA_S3_SECRET_ACCESS_KEY"],
        config=BotoConfig(signature_version="s3v4", retries={"max_attempts": 3, "mode": "standard"},
                          connect_timeout=5, read_timeout=30),
    )


class S3MediaStore:
    """Files in an S3-compatible bucket, under the same names as on disk. An object already there is never
    rewritten (same name, same bytes)."""

    def __init__(self, client: S3Client, bucket: str, expiry_minutes: int) -> None:
        self.client = client
        self.bucket = bucket
        self.expiry_seconds = expiry_minutes * 60

    def store(self, source: Path, folder: str) -> str:
        from botocore.exceptions import ClientError

        name = stored_name(source, folder)
        try:
            self.client.head_object(Bucket=self.bucket, Key=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
            cache_control = PUBLIC_CACHE_CONTROL if folder in PUBLIC_FOLDERS else PRIVATE_CACHE_CONTROL
            self.client.upload_file(str(source), self.bucket, name, ExtraArgs={
                "ContentType": content_type(name), "CacheControl": cache_control})
        return name

    def fetch(self, name: str, target: Path) -> None:
        self.client.download_file(self.bucket, name, str(target))

    def prepare(self) -> None:
        """Let browsers load captions and media from the bucket in CORS mode (the player sets ``crossorigin``; a
        redirected request arrives with ``Origin: null``, so any origin: the presigned signature is the key)."""
        self.client.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": [{
            "AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["*"], "AllowedHeaders": ["Range"],
            "ExposeHeaders": ["Accept-Ranges", "Content-Length", "Content-Range", "Content-Type"],
            "MaxAgeSeconds": 3600,
        }]})

    def presigned_url(self, name: str, *, public: bool) -> str:
        """A GET URL for the stored file ``name`` that works for ``MEDIA_S3_URL_EXPIRY_MINUTES``."""
        return self.client.generate_presigned_url("get_object", ExpiresIn=self.expiry_seconds, Params={
            "Bucket": self.bucket, "Key": name, "ResponseContentType": content_type(name),
            "ResponseCacheControl": PUBLIC_CACHE_CONTROL if public else PRIVATE_CACHE_CONTROL,
        })

    def origin(self) -> str:
        """The scheme and host browsers fetch from (for the Content-Security-Policy); signing needs no network."""
        parts = urlsplit(self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "x"}, ExpiresIn=60))
        return f"{parts.scheme}://{parts.netloc}"


def s3_settings_problems(config: dict[str, Any]) -> list[str]:
    """What keeps MEDIA_DELIVERY=s3 from working, in plain words (empty when the settings are complete)."""
    problems = [f"{name} is not set" for name in S3_REQUIRED if not config.get(name)]
    endpoint = config.get("MEDIA_S3_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"MEDIA_S3_ENDPOINT_URL must be an http(s) URL such as https://s3.example.org, "
                            f"not {endpoint!r}")
    expiry = config.get("MEDIA_S3_URL_EXPIRY_MINUTES")
    if isinstance(expiry, bool) or not isinstance(expiry, int) or expiry not in S3_EXPIRY_RANGE:
        problems.append(f"MEDIA_S3_URL_EXPIRY_MINUTES must be a whole number of minutes from {S3_EXPIRY_RANGE.start} "
                        f"to {S3_EXPIRY_RANGE.stop - 1}, not {expiry!r}")
    return problems


def init_app(app: Flask) -> None:
    """Build the store ``MEDIA_DELIVERY`` asks for (settings checked before, by create_app)."""
    store: MediaStore
    if app.config["MEDIA_DELIVERY"] == "s3":
        store = S3MediaStore(s3_client(app.config), app.config["MEDIA_S3_BUCKET"],
                             app.config["MEDIA_S3_URL_EXPIRY_MINUTES"])
    else:
        store = LocalMediaStore(Path(app.config["MEDIA_ROOT"]))
    app.extensions["media_store"] = store
    # The player loads media and captions from the bucket in CORS mode (a caption track may not come from another
    # origin otherwise): templates/learning/lecture.html adds crossorigin="anonymous" when this is true.
    app.jinja_env.globals["media_cross_origin"] = isinstance(store, S3MediaStore)


def media_store() -> MediaStore:
    """The current app's store."""
    store: MediaStore = current_app.extensions["media_store"]
    return store


def s3_store() -> S3MediaStore | None:
    """The current app's bucket, when ``MEDIA_DELIVERY=s3``."""
    store = media_store()
    return store if isinstance(store, S3MediaStore) else None
