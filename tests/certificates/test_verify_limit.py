"""The verification page and the verification form share one rate-limit budget: a crawler alternating between them
is held back as soon as one of them alone would hold it back."""
from __future__ import annotations

from tests.factories import certify


def test_the_page_and_the_form_share_one_budget(limited_app, learner, module):
    certificate = certify(learner, module)
    client = limited_app.test_client()
    urls = [f"/certificates/verify/{certificate.code}", f"/certificates/verify?code={certificate.code}"]
    statuses = [client.get(urls[index % 2]).status_code for index in range(31)]
    assert statuses[:30] == [200, 302] * 15 and statuses[30] == 429
    assert client.get(urls[1]).status_code == 429
