"""Private notes: written on the lecture page at a second of the media, edited, deleted, all seen on one page per
module and downloaded as Markdown; their author's alone (404 for anyone else, never on a staff page or in another
person's export), in the author's data download, and gone with the account."""
from __future__ import annotations

import json

import pytest
from flask import url_for
from sqlalchemy import func, select

from coursesite.catalog.models import Lecture
from coursesite.extensions import db
from coursesite.learning import notes as notes_service
from coursesite.learning.models import Note
from coursesite.markdown import render_markdown
from coursesite.permissions import Marker, route_marker
from tests.factories import PASSWORD, grant_access, make_module, make_user
from tests.support import csrf_token, login_as, post_form

FIRST = "/modules/sample-module/lectures/first-steps"        # preview, 4 s
LOCKED = "/modules/sample-module/lectures/in-conversation"   # needs access, 5 s
MODULE_NOTES = "/modules/sample-module/notes"
DOWNLOAD = "/modules/sample-module/notes.md"


def lecture(slug: str) -> Lecture:
    return db.session.scalar(select(Lecture).where(Lecture.slug == slug))


def write(user, slug: str, time: str, text: str) -> Note:
    return notes_service.add_note(user.id, lecture(slug), time, text)


def note_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Note))


def add(client, lecture_path: str, time: str, text: str, page: str | None = None, **kwargs):
    """POST a new note from the lecture page (or, for a lecture the client may not open, with ``page``'s token)."""
    return post_form(client, f"{lecture_path}/notes", {"time": time, "text": text}, page=page or lecture_path,
                     **kwargs)


@pytest.fixture
def learner(app, sample_module):
    user = make_user("notes-learner@example.org")
    grant_access(user)
    return user


@pytest.fixture
def learner_client(app, learner):
    return login_as(app, learner)


# Writing, seeing, editing, deleting -------------------------------------------------------------------------------

def test_a_note_is_saved_at_the_typed_time_and_listed_with_a_link_there(app, learner, learner_client):
    response = add(learner_client, LOCKED, "0:03", "Rupture and repair\nsecond line")
    assert response.status_code == 302
    note = db.session.scalar(select(Note))
    assert (note.user_id, note.lecture_id, note.position) == (learner.id, lecture("in-conversation").id, 3.0)
    assert note.text == "Rupture and repair\nsecond line"
    assert response.location.endswith(f"{LOCKED}#note-{note.id}")
    page = learner_client.get(LOCKED).get_data(as_text=True)
    assert "Note saved at 0:03." in page
    assert f'<a class="note-time" href="{LOCKED}?t=3" data-seek="3.0">' in page
    assert "Rupture and repair\nsecond line</p>" in page


def test_a_script_gets_the_new_list_as_json_and_stays_on_the_page(app, learner, learner_client):
    response = add(learner_client, LOCKED, "2.5", "Seen at two and a half", headers={"Accept": "application/json"})
    assert response.status_code == 200
    data = response.get_json()
    assert data["message"] == "Note saved at 0:02."
    assert "Seen at two and a half" in data["html"] and f"{LOCKED}?t=2.5" in data["html"]


@pytest.mark.parametrize(("time", "seconds"), [("", 0.0), ("4", 4.0), ("0:01.5", 1.5), ("0:00:02", 2.0)])
def test_times_are_read_as_seconds_or_minutes_and_seconds(app, learner, learner_client, time, seconds):
    assert add(learner_client, LOCKED, time, "a note").status_code == 302
    assert db.session.scalar(select(Note.position)) == seconds


def test_the_owner_edits_and_deletes_a_note(app, learner, learner_client):
    note = write(learner, "in-conversation", "1", "first thought")
    response = post_form(learner_client, f"/notes/{note.id}/edit", {"time": "0:04", "text": "second thought"},
                         page=LOCKED)
    assert response.status_code == 302 and response.location.endswith(f"{LOCKED}#note-{note.id}")
    db.session.expire_all()
    assert (note.position, note.text) == (4.0, "second thought")
    response = post_form(learner_client, f"/notes/{note.id}/delete", {}, page=LOCKED)
    assert response.status_code == 302
    assert note_count() == 0
    assert "Note at 0:04 deleted." in learner_client.get(LOCKED).get_data(as_text=True)


def test_changes_made_on_the_module_page_lead_back_there(app, learner, learner_client):
    note = write(learner, "in-conversation", "1", "first thought")
    response = post_form(learner_client, f"/notes/{note.id}/edit",
                         {"time": "2", "text": "changed", "back": "module"}, page=MODULE_NOTES)
    assert response.status_code == 302 and response.location.endswith(f"{MODULE_NOTES}#note-{note.id}")


def test_a_bad_edit_on_the_module_page_is_shown_there_with_what_was_typed(app, learner, learner_client):
    note = write(learner, "in-conversation", "1", "as it was")
    response = post_form(learner_client, f"/notes/{note.id}/edit", {"time": "later", "text": "typed", "back": "module"},
                         page=MODULE_NOTES)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<h1 id=\"notes-title\">My notes</h1>" in page and "Give the time as minutes:seconds" in page
    assert '<details class="note-edit" open>' in page and 'value="later"' in page and ">typed</textarea>" in page
    db.session.expire_all()
    assert (note.position, note.text) == (1.0, "as it was")


def test_a_visitor_sees_how_to_keep_notes_and_no_form(client, sample_module):
    page = client.get(FIRST).get_data(as_text=True)
    assert "to keep private notes on this lecture" in page
    assert "/notes\"" not in page and 'name="text"' not in page


# Bad input: a clear message, nothing stored ------------------------------------------------------------------------

@pytest.mark.parametrize(("time", "text", "message"), [
    ("0:02", "   \n ", "Write something in the note."),
    ("soon", "text", "Give the time as minutes:seconds, for example 12:34."),
    ("-3", "text", "Give the time as minutes:seconds"),
    ("nan", "text", "Give the time as minutes:seconds"),
    ("1:75", "text", "Give the time as minutes:seconds"),
    ("9:00", "text", "The lecture is 0:05 long: give a time within it."),
    ("1", "bell\x07", "Remove the invisible or control characters from the note."),
    ("1", "x" * (notes_service.MAX_NOTE_LENGTH + 1), "A note holds at most 5,000 characters; this one has 5,001."),
])
def test_bad_notes_are_refused_with_a_reason_and_nothing_stored(app, learner, learner_client, time, text, message):
    response = add(learner_client, LOCKED, time, text)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert note_count() == 0
    json_answer = add(learner_client, LOCKED, time, text, headers={"Accept": "application/json"})
    assert json_answer.status_code == 422 and message in json_answer.get_json()["error"]


def test_the_refused_form_keeps_what_was_typed(app, learner, learner_client):
    page = add(learner_client, LOCKED, "soon", "keep <this> text").get_data(as_text=True)
    assert 'value="soon"' in page and "keep &lt;this&gt; text</textarea>" in page


def test_a_bad_edit_leaves_the_note_as_it_was(app, learner, learner_client):
    note = write(learner, "in-conversation", "1", "as it was")
    response = post_form(learner_client, f"/notes/{note.id}/edit", {"time": "1", "text": ""}, page=LOCKED)
    assert response.status_code == 422 and "Write something in the note." in response.get_data(as_text=True)
    db.session.expire_all()
    assert note.text == "as it was"


def test_a_lecture_holds_a_limited_number_of_notes(app, learner, learner_client, monkeypatch):
    monkeypatch.setattr(notes_service, "MAX_NOTES_PER_LECTURE", 2)
    for text in ("one", "two"):
        assert add(learner_client, LOCKED, "1", text).status_code == 302
    response = add(learner_client, LOCKED, "1", "three")
    assert response.status_code == 422
    assert "You have 2 notes on this lecture, the most it can hold" in response.get_data(as_text=True)
    assert note_count() == 2


def test_an_account_holds_a_limited_number_of_notes(app, learner, learner_client, monkeypatch):
    monkeypatch.setattr(notes_service, "MAX_NOTES_PER_LEARNER", 1)
    assert add(learner_client, FIRST, "1", "one").status_code == 302
    response = add(learner_client, LOCKED, "1", "two")
    assert response.status_code == 422 and "the most an account can hold" in response.get_data(as_text=True)
    assert note_count() == 1


def test_note_text_is_escaped_everywhere_it_is_shown(app, learner, learner_client):
    write(learner, "in-conversation", "1", '<script>alert("x")</script> & <b>bold</b>')
    for path in (LOCKED, MODULE_NOTES):
        page = learner_client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<b>bold</b>" not in page, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page, path


def test_note_routes_need_a_csrf_token(app, learner, learner_client):
    note = write(learner, "in-conversation", "1", "kept")
    assert learner_client.post(f"{LOCKED}/notes", data={"time": "1", "text": "x"}).status_code == 400
    assert learner_client.post(f"/notes/{note.id}/delete").status_code == 400
    assert note_count() == 1


# Who may see and change a note --------------------------------------------------------------------------------------

def test_every_note_route_is_for_logged_in_people(app):
    for endpoint in ("notes.create", "notes.update", "notes.delete", "notes.module_notes", "notes.download"):
        assert route_marker(app.view_functions[endpoint]) is Marker.LOGIN, endpoint


def test_visitors_are_sent_to_log_in(app, learner, client):
    note = write(learner, "first-steps", "1", "private")
    for response in (client.get(MODULE_NOTES), client.get(DOWNLOAD),
                     client.post(f"{FIRST}/notes", data={"time": "1", "text": "x",
                                                          "csrf_token": csrf_token(client, "/auth/login")}),
                     client.post(f"/notes/{note.id}/delete",
                                 data={"csrf_token": csrf_token(client, "/auth/login")})):
        assert response.status_code == 302 and "/auth/login" in response.location
    assert note_count() == 1


def test_a_learner_cannot_write_on_a_lecture_they_may_not_watch(app, sample_module):
    outsider = login_as(app, make_user("outsider@example.org"))
    response = add(outsider, LOCKED, "1", "sneaky", page="/account")
    assert response.status_code == 404
    assert add(outsider, FIRST, "1", "previews are open to everyone").status_code == 302
    assert add(outsider, "/modules/sample-module/lectures/nope", "1", "x", page="/account").status_code == 404


def test_another_learner_gets_404_and_never_sees_the_note(app, learner, learner_client):
    note = write(learner, "in-conversation", "2", "mine alone")
    other = make_user("other@example.org")
    grant_access(other)
    other_client = login_as(app, other)
    assert post_form(other_client, f"/notes/{note.id}/edit", {"time": "1", "text": "hijacked"},
                     page=LOCKED).status_code == 404
    assert post_form(other_client, f"/notes/{note.id}/delete", {}, page=LOCKED).status_code == 404
    for path in (LOCKED, MODULE_NOTES, DOWNLOAD, "/account/export"):
        assert "mine alone" not in other_client.get(path).get_data(as_text=True), path
    db.session.expire_all()
    assert note.text == "mine alone"


def test_an_unknown_note_is_404(app, learner_client):
    assert post_form(learner_client, "/notes/999999/delete", {}, page=LOCKED).status_code == 404
    answer = post_form(learner_client, "/notes/999999/edit", {"time": "1", "text": "x"}, page=LOCKED,
                       headers={"Accept": "application/json"})
    assert answer.status_code == 404 and answer.get_json()["error"]


def test_staff_cannot_read_or_change_a_learners_notes(app, learner):
    note = write(learner, "in-conversation", "2", "not for staff eyes")
    admin = make_user("admin@example.org", role="admin")
    admin_client = login_as(app, admin)
    with app.test_request_context():
        staff_pages = [url_for(rule.endpoint) for rule in app.url_map.iter_rules()
                       if "GET" in rule.methods and not rule.arguments
                       and route_marker(app.view_functions[rule.endpoint]) is Marker.RIGHT]
    assert "/staff/audit" in staff_pages
    for path in [*staff_pages, MODULE_NOTES, DOWNLOAD, LOCKED, f"/staff/access?email={learner.email}"]:
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert "not for staff eyes" not in response.get_data(as_text=True), path
    assert post_form(admin_client, f"/notes/{note.id}/delete", {}, page=LOCKED).status_code == 404
    assert note_count() == 1


# One module's notes on one page, and as Markdown --------------------------------------------------------------------

def test_the_module_page_lists_notes_by_lecture_in_order(app, learner, learner_client):
    write(learner, "in-conversation", "4", "late in the second")
    write(learner, "in-conversation", "1", "early in the second")
    write(learner, "first-steps", "3", "in the first")
    other_module = make_module("other-module")
    assert other_module.id
    page = learner_client.get(MODULE_NOTES).get_data(as_text=True)
    assert page.index("First steps") < page.index("in the first") < page.index("In conversation")
    assert page.index("In conversation") < page.index("early in the second") < page.index("late in the second")
    assert "3 notes" in page and f'href="{DOWNLOAD}"' in page
    assert learner_client.get("/modules/other-module/notes").status_code == 200
    assert learner_client.get("/modules/nope/notes").status_code == 404
    assert learner_client.get("/modules/nope/notes.md").status_code == 404


def test_the_markdown_download_links_each_note_to_its_second(app, learner, learner_client):
    write(learner, "first-steps", "1.5", "Attachment *matters*\n# not a heading\n1. not a list <b>x</b>")
    write(learner, "in-conversation", "4", "Second lecture")
    response = learner_client.get(DOWNLOAD)
    assert response.status_code == 200 and response.mimetype == "text/markdown"
    assert response.headers["Content-Disposition"] == 'attachment; filename="sample-module-notes.md"'
    text = response.get_data(as_text=True)
    assert text.startswith("# Notes: A Sample Module\n")
    assert "## First steps" in text and "## In conversation" in text
    assert f"- [0:01](http://localhost{FIRST}?t=1.5) Attachment \\*matters\\*" in text
    assert f"- [0:04](http://localhost{LOCKED}?t=4) Second lecture" in text
    # Any Markdown reader shows the note as typed: no emphasis, heading, list or HTML comes from it.
    html = render_markdown(text)
    assert "Attachment *matters*" in html and "# not a heading" in html and "1. not a list &lt;b&gt;x&lt;/b&gt;" in html
    assert "<em>matters</em>" not in html and "<b>" not in html


def test_a_module_without_notes_says_so(app, learner_client):
    page = learner_client.get(MODULE_NOTES).get_data(as_text=True)
    assert "You have no notes on this module yet." in page
    assert "No notes yet." in learner_client.get(DOWNLOAD).get_data(as_text=True)


# The author's data download and account deletion --------------------------------------------------------------------

def test_the_data_download_includes_the_authors_notes(app, learner, learner_client):
    write(learner, "in-conversation", "2", "exported")
    data = json.loads(learner_client.get("/account/export").get_data(as_text=True))
    assert [(row["module"], row["lecture"], row["seconds"], row["text"]) for row in data["notes"]] == [
        ("sample-module", "in-conversation", 2.0, "exported")]


def test_deleting_the_account_deletes_the_notes(app, learner, learner_client):
    other = make_user("keeps@example.org")
    write(learner, "in-conversation", "2", "goes")
    write(other, "first-steps", "1", "stays")
    response = learner_client.post("/account/delete", data={
        "current_password": PASSWORD, "understood": "y", "csrf_token": csrf_token(learner_client, "/account/delete")})
    assert response.status_code == 302
    assert list(db.session.scalars(select(Note.text))) == ["stays"]


# Speed: statements per page do not grow with the catalogue or the notes -----------------------------------------

def more_catalogue(count: int) -> None:
    for number in range(count):
        module = make_module(f"extra-{number}", f"Extra {number}")
        db.session.add_all(Lecture(module_id=module.id, position=position, slug=f"l{position}", title="L",
                                   kind="video_lecture", duration_seconds=60, media_path="lectures/x.mp4",
                                   media_type="video/mp4", captions_path="lectures/x.vtt", cues=[])
                           for position in range(3))
    db.session.commit()


def test_module_notes_pages_use_a_fixed_number_of_statements(app, learner, learner_client, count_queries):
    write(learner, "first-steps", "1", "one")
    learner_client.get(MODULE_NOTES)
    with count_queries() as few:
        assert learner_client.get(MODULE_NOTES).status_code == 200
    for number in range(6):
        write(learner, "in-conversation" if number % 2 else "first-steps", str(number % 4), f"note {number}")
    more_catalogue(3)
    with count_queries() as many:
        assert learner_client.get(MODULE_NOTES).status_code == 200
    with count_queries() as download:
        assert learner_client.get(DOWNLOAD).status_code == 200
    assert many.count == few.count <= 6
    assert download.count <= 6
