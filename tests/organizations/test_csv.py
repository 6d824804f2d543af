"""Inviting from a CSV file: all or nothing, with line numbers; limits on rows, size and seats; never a 500."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from coursesite.extensions import db
from coursesite.organizations.lists import MAX_BYTES, ListRefused, read_address_list, read_csv
from coursesite.organizations.models import Seat
from tests.support import dashboard_url, post_form, seats


def upload(client, organization, licence, content: bytes, filename: str = "people.csv"):
    return post_form(client, f"/organizations/{organization.id}/upload",
                     {"licence": str(licence.id), "file": (io.BytesIO(content), filename)},
                     dashboard_url(organization), content_type="multipart/form-data")


def test_a_good_csv_invites_everyone_with_their_names(app, buyer_client, licensed, mailbox):
    organization, licence = licensed
    content = "\ufeffFull Name,Email\r\nBob Example,Bob@Example.org\r\n\r\n\"Okafor, Chidi\",chidi@example.org\r\n"
    response = upload(buyer_client, organization, licence, content.encode())
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    names = dict(db.session.execute(select(Seat.email, Seat.full_name)).all())
    assert names == {"bob@example.org": "Bob Example", "chidi@example.org": "Okafor, Chidi"}
    assert mailbox.last_to("chidi@example.org").text.startswith("Hello Okafor, Chidi,")


def test_semicolon_separated_csv_from_a_spreadsheet_works(app, buyer_client, licensed, mailbox):
    organization, licence = licensed
    assert upload(buyer_client, organization, licence, b"email;full_name\na@example.org;A\n").status_code == 302
    assert seats() == {"a@example.org": "invited"}


TOO_MANY_ROWS = ("email\n" + "".join(f"p{number}@example.org\n" for number in range(1001))).encode()
OVERSIZE = ("email,full_name\n" + "a@example.org," + "x" * (MAX_BYTES + 10) + "\n").encode()
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"


@pytest.mark.parametrize(("content", "message"), [
    (b"email\nok@example.org\nfine@example.org\nbob@\n", "line 4: &#39;bob@&#39; is not a valid email address"),
    (b"name,email\nBob,\n", "line 2: no email address"),
    (b"full_name\nBob\n", "one of them \"email\"".replace('"', "&#34;")),
    (b"", "The file is empty."),
    (b"email\n", "no addresses below its first line"),
    (TOO_MANY_ROWS, "more than 1,000 rows"),
    (OVERSIZE, "larger than 256 KB"),
    (PNG, "This is not a CSV file"),
    (b"email\n\xff\xfeb\x00o\x00b\x00", "This is not a CSV file"),
    (b"email\ncaf\xe9@example.org\n", "not UTF-8 text"),
    (b"email\n\x07bell@example.org\n", "This is not a CSV file"),
    (b"email\n\"unterminated@example.org\n", "the file is not valid CSV"),
    (b"email\na@example.org\nb@example.org\nc@example.org\nd@example.org\ne@example.org\n",
     "This licence has 4 free seats, but the list has 5 new addresses"),
    (b"email,full_name\na@example.org," + b"n" * 121 + b"\n", "line 2: the name is longer than 120 characters"),
    # 61 characters as typed, 122 in NFC as stored: lengths are checked as stored.
    (("email,full_name\na@example.org," + "\u0958" * 61 + "\n").encode(),
     "line 2: the name is longer than 120 characters"),
    # A right-to-left override (U+202E) would show "Bob" as someone else on the dashboard and in the mail.
    ("email,full_name\nok@example.org,Ok\nb@example.org,Bob \u202eelpmaxE\n".encode(),
     "line 3: the name contains invisible or control characters"),
    ("email,full_name\nb@example.org,Zero\u200bWidth\n".encode(), "line 2: the name contains invisible"),
])
def test_bad_files_change_nothing(app, buyer_client, licensed, mailbox, content, message):
    organization, licence = licensed
    response = upload(buyer_client, organization, licence, content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert seats() == {} and mailbox.received == []


def test_uploads_without_a_file_or_licence_are_refused(app, buyer_client, licensed):
    organization, licence = licensed
    url = f"/organizations/{organization.id}/upload"
    for data in ({"licence": str(licence.id)}, {"file": (io.BytesIO(b"email\na@example.org\n"), "a.csv")},
                 {"licence": "x", "file": (io.BytesIO(b"email\na@example.org\n"), "a.csv")}):
        response = post_form(buyer_client, url, data, dashboard_url(organization), content_type="multipart/form-data")
        assert response.status_code == 422
    assert seats() == {}


def test_the_readers_report_every_bad_line():
    with pytest.raises(ListRefused) as refused:
        read_csv(b"email\nbob@\nok@example.org\n@x\n")
    assert refused.value.messages == ["line 2: 'bob@' is not a valid email address",
                                      "line 4: '@x' is not a valid email address"]
    with pytest.raises(ListRefused) as refused:
        read_address_list("\n".join(f"bad{number}@" for number in range(80)))
    assert len(refused.value.messages) == 51 and refused.value.messages[-1] == "… and 30 more problems."
    assert [invitee.line for invitee in read_csv(b"email\r\n\"a@example.org\"\r\n\r\nb@example.org\r\n")] == [2, 4]


def test_names_keep_the_joiners_some_scripts_need():
    invitees = read_csv("email,full_name\nm@example.org,\u0645\u0647\u200c\u0646\u0627\u0632\n".encode())
    assert invitees[0].full_name == "\u0645\u0647\u200c\u0646\u0627\u0632"
