"""The certificate PDF without the cache's server: rendered each time, never an error, through the one fallback
helper the page cache uses too (``caching.cache_call``)."""
from __future__ import annotations

import redis

from coursesite import caching
from coursesite.certificates import pdf
from coursesite.extensions import cache
from tests.factories import certify


def test_a_certificate_pdf_is_rendered_when_the_cache_is_down(app, learner, module, monkeypatch):
    certificate = certify(learner, module)
    calls: list[str] = []

    def down(*_args, **_kwargs):
        calls.append("cache")
        raise redis.ConnectionError("the cache is down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    monkeypatch.setattr(caching, "_cache_down_until", 0.0)
    url = f"{app.config['BASE_URL']}/certificates/verify/{certificate.code}"
    with app.test_request_context():
        first = pdf.certificate_pdf(certificate.snapshot, certificate.code, certificate.issued_at, url)
        again = pdf.certificate_pdf(certificate.snapshot, certificate.code, certificate.issued_at, url)
    assert first == again == pdf.render_certificate(certificate.snapshot, certificate.code, certificate.issued_at,
                                                    url)
    assert calls == ["cache"]  # after one failure the cache is left alone for a while, not asked at every call
