"""An S3-compatible server for the tests: moto's, on a loopback port, behind a check of presigned URLs.

moto serves S3's API and keeps objects, but accepts any query-string signature (and refuses presigned URLs once its
IAM checks are switched on). Real S3 checks them, so this server does too, before moto sees the request: a GET or
HEAD carrying ``X-Amz-Signature`` must be signed with the one key pair below (AWS Signature Version 4, query form)
and not be past ``X-Amz-Date`` + ``X-Amz-Expires``; otherwise 403, as S3 answers. ``clock_offset`` moves this
server's clock (an expired URL without waiting). Requests signed in the ``Authorization`` header (boto3's API calls:
uploads, bucket settings) go to moto unchecked.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

ACCESS_KEY_ID = "AKIATESTCOURSESITE01"
SECRET_ACCESS_KEY = "test-secret-access-key-for-the-media-bucket"  # the loopback test server's own key
REGION = "eu-west-1"
BUCKET = "coursesite-media"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def expected_signature(method: str, path: str, query: list[tuple[str, str]], host: str, secret: str) -> str | None:
    """The SigV4 query signature S3 would compute for this request (None when a required parameter is missing)."""
    params = dict(query)
    try:
        amz_date, credential = params["X-Amz-Date"], params["X-Amz-Credential"]
    except KeyError:
        return None
    if params.get("X-Amz-SignedHeaders") != "host" or params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        return None
    scope = credential.split("/", 1)[1] if "/" in credential else ""
    canonical_query = "&".join(
        f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}"
        for name, value in sorted(item for item in query if item[0] != "X-Amz-Signature"))
    canonical_request = "\n".join([
        method, quote(path, safe="/-_.~"), canonical_query, f"host:{host}", "", "host", "UNSIGNED-PAYLOAD"])
    string_to_sign = "\n".join([
        "AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in scope.split("/"):
        key = _hmac(key, part)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


class PresignedUrlCheck:
    """WSGI middleware: S3's refusal of forged, foreign-key and expired presigned URLs, in front of moto."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.clock_offset = timedelta()

    def refusal(self, environ: dict[str, Any]) -> str | None:
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        params = dict(query)
        if "X-Amz-Signature" not in params or environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
            return None
        if not params.get("X-Amz-Credential", "").startswith(f"{ACCESS_KEY_ID}/"):
            return "InvalidAccessKeyId"
        wanted = expected_signature(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), query,
                                    environ.get("HTTP_HOST", ""), SECRET_ACCESS_KEY)
        if wanted is None or not hmac.compare_digest(wanted, params["X-Amz-Signature"]):
            return "SignatureDoesNotMatch"
        signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if datetime.now(UTC) + self.clock_offset > signed_at + timedelta(seconds=int(params["X-Amz-Expires"])):
            return "AccessDenied"  # S3: "Request has expired"
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        code = self.refusal(environ)
        if code is None:
            return self.app(environ, start_response)
        body = f"<?xml version='1.0'?><Error><Code>{code}</Code></Error>".encode()
        start_response("403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
        return [body]


class CheckedMotoServer(ThreadedMotoServer):
    """moto's threaded server with :class:`PresignedUrlCheck` in front (``check``)."""

    def __init__(self) -> None:
        super().__init__(ip_address="127.0.0.1", port=0, verbose=False)
        self.check = PresignedUrlCheck(DomainDispatcherApplication(create_backend_app))

    def _server_entry(self) -> None:  # ThreadedMotoServer's, serving the checked app
        self._server = make_server(self._ip_address, self._port, self.check, True,
                                   request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()

    @property
    def endpoint_url(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"

    def settings(self) -> dict[str, Any]:
        """The app's settings for MEDIA_DELIVERY=s3 against this server."""
        return {"MEDIA_DELIVERY": "s3", "MEDIA_S3_BUCKET": BUCKET, "MEDIA_S3_ENDPOINT_URL": self.endpoint_url,
                "MEDIA_S3_REGION": REGION, "MEDIA_S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
                "MEDIA_S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY, "MEDIA_S3_URL_EXPIRY_MINUTES": 10}
