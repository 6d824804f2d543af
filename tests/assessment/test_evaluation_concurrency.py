"""Two submissions of the evaluation at once (a double click, two tabs): one evaluation and one certificate.

A pause right after the rule read whether the attempt is evaluated makes the race certain: both requests would see
none. The attempt's row lock makes the second wait (PostgreSQL: the row lock; SQLite: the single writer) and then see
the first's evaluation; the unique ``attempt_id`` would refuse its row anyway. Either way: refused, nothing written."""
from __future__ import annotations

import time

from sqlalchemy import func, select

from coursesite.assessment import evaluation
from coursesite.assessment.models import Evaluation
from coursesite.certificates.models import Certificate
from coursesite.extensions import db
from tests.assessment.test_evaluation import URL, answers_form
from tests.billing.test_concurrency import all_at_once
from tests.factories import grant_access, make_user, module_id, pass_test
from tests.support import csrf_token, login_as

PAUSE = 0.3


def test_two_submissions_at_once_make_one_evaluation_and_one_certificate(app, sample_module, monkeypatch):
    learner = make_user("double@example.org", full_name="Dora Double")
    grant_access(learner)
    pass_test(learner, module_id())
    module = evaluation.module_for_evaluation("sample-module")
    data = answers_form(module)
    clients = [login_as(app, learner), login_as(app, learner)]
    tokens = [csrf_token(client, URL) for client in clients]
    read = evaluation.evaluation_of

    def read_slowly(attempt_id):
        found = read(attempt_id)
        time.sleep(PAUSE)
        return found

    monkeypatch.setattr(evaluation, "evaluation_of", read_slowly)
    statuses = all_at_once(*[
        (lambda client=client, token=token: client.post(URL, data={**data, "csrf_token": token}).status_code)
        for client, token in zip(clients, tokens, strict=True)
    ])
    assert sorted(statuses) == [302, 403]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Evaluation)) == 1
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
