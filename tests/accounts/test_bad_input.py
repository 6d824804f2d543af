"""Input nobody should send still gets an answer, never a 500: mangled links, forged device cookies, odd addresses."""
from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer

from coursesite.accounts import known_devices
from tests.factories import PASSWORD
from tests.support import csrf_token

MANGLED = ["x", "..", "a.b.c", "%00", "é" * 50, "eyJ1c2VyIjoxfQ.AAAA.BBBB", "!" * 500, "a" * 5000]


@pytest.mark.parametrize("path", ["/auth/confirm/", "/auth/reset/", "/auth/email/"])
@pytest.mark.parametrize("token", MANGLED)
def test_a_mangled_link_is_refused_with_a_page(client, path, token):
    assert client.get(path + token).status_code in (400, 404)


def forged_cookie(app, content) -> str:
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=known_devices.SALT).dumps(content)


@pytest.mark.parametrize("content", [
    [], "device", {"device": 1, "accounts": []}, {"device": "d", "accounts": "abc"},
    {"device": "d", "accounts": [1, None, ["x"], {"a": 1}]}, {"device": "d"},
])
def test_a_device_cookie_of_any_shape_is_ignored_or_used(app, client, user, content):
    client.set_cookie(app.config["KNOWN_DEVICE_COOKIE_NAME"], forged_cookie(app, content))
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD,
                                                "csrf_token": csrf_token(client, "/auth/login")})
    assert response.status_code == 302


@pytest.mark.parametrize("email", ["a@xn--", "a@-.com", "a" * 300 + "@example.org", "@", "a@b@c", "\x00@x.org",
                                   "zoe@bücher..de", "ｚｏｅ＠ｅｘａｍｐｌｅ．ｏｒｇ", "a@" + "b" * 70 + ".org"])
@pytest.mark.parametrize("url", ["/auth/login", "/auth/reset", "/auth/register"])
def test_an_odd_address_in_a_form_is_answered(client, url, email):
    response = client.post(url, data={"email": email, "password": "x", "csrf_token": csrf_token(client, url)})
    assert response.status_code in (200, 302, 400)  # 400: a NUL character, refused for every form
