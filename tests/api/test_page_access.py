"""The pages behind PLANCHAT_PROTECT_READS in a browser (api/page_access.py): a key typed once into
/adgang opens the pages for a working day through a signed cookie that holds no key and opens no API."""

from __future__ import annotations

import time

import pytest
from conftest import make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from api.page_access import COOKIE, SESSION_SECONDS, safe_next, session_cookie, session_valid

READ = "read-key-0123456789"
ADMIN = "admin-key-0123456789"
WRONG = "Nøglen er ikke gyldig. Tjek den, eller spørg den, der driver planchat."


@pytest.fixture
def client(hash_index, tmp_path) -> TestClient:
    settings = make_settings(tmp_path, retrieval_mode="bm25", protect_reads=True, api_key=ADMIN, read_keys=[READ])
    return TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False, follow_redirects=False)


def test_a_page_without_a_key_sends_the_browser_to_the_key_form_and_back(client):
    to_login = client.get("/compare?topic=unge ledige")
    assert (to_login.status_code, to_login.headers["location"]) == (
        303,
        "/adgang?next=%2Fcompare%3Ftopic%3Dunge%2520ledige",
    )
    form = client.get(to_login.headers["location"])
    assert form.status_code == 200
    assert '<input type="hidden" name="next" value="/compare?topic=unge%20ledige">' in form.text
    assert '<input type="password" name="key" autocomplete="current-password" required>' in form.text
    login = client.post("/adgang", data={"key": READ, "next": "/compare?topic=unge%20ledige"})
    assert (login.status_code, login.headers["location"]) == (303, "/compare?topic=unge%20ledige")
    cookie = login.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and READ not in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and f"Max-Age={SESSION_SECONDS}" in cookie
    assert "Path=/" in cookie and "Secure" not in cookie  # plain http on loopback
    assert client.get("/compare?topic=unge ledige").status_code == 200  # the client keeps the cookie
    assert client.get("/documents/rebild-2022").status_code == 200


def test_the_admin_key_opens_the_pages_too_and_a_wrong_key_is_the_form_again(client):
    wrong = client.post("/adgang", data={"key": "guess", "next": "/targets"})
    assert wrong.status_code == 401 and WRONG in wrong.text and "set-cookie" not in wrong.headers
    assert client.get("/targets").status_code == 303
    assert client.post("/adgang", data={"key": ADMIN, "next": "/targets"}).status_code == 303
    assert client.get("/targets").status_code == 200


def test_the_page_session_opens_no_api(client):
    client.post("/adgang", data={"key": ADMIN, "next": "/"})
    assert client.cookies.get(COOKIE)
    assert client.post("/v1/ask", json={"question": "Hvad er målet?"}).status_code == 401
    assert client.get("/v1/documents").status_code == 401
    assert client.delete("/v1/documents/rebild-2022").status_code == 401


def test_the_session_lapses_with_time_and_with_any_key_change(hash_index, tmp_path):
    settings = make_settings(tmp_path, protect_reads=True, api_key=ADMIN, read_keys=[READ])
    now = time.time()
    value = session_cookie(settings, now)
    assert session_valid(settings, value, now + SESSION_SECONDS - 1) is True
    assert session_valid(settings, value, now + SESSION_SECONDS + 1) is False
    rotated = make_settings(tmp_path, protect_reads=True, api_key=ADMIN, read_keys=["read-key-new-0123456789"])
    assert session_valid(rotated, value, now) is False
    forged_expiry = f"{int(now) + 10 * SESSION_SECONDS}.{value.partition('.')[2]}"
    assert session_valid(settings, forged_expiry, now) is False
    for junk in (None, "", ".", "abc.def", "1" * 40 + ".x"):
        assert session_valid(settings, junk, now) is False


def test_a_login_from_another_site_is_refused_and_next_never_leaves_the_server(client):
    foreign = client.post("/adgang", data={"key": READ, "next": "/"}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403 and "set-cookie" not in foreign.headers
    for target, expected in (("//evil.example/x", "/"), ("https://evil.example", "/"), ("/\\evil", "/"),
                             ("/targets?q=mål", "/targets?q=mål"), ("", "/")):  # fmt: skip
        assert safe_next(target) == expected, target
    assert client.post("/adgang", data={"key": READ, "next": "//evil.example"}).headers["location"] == "/"


def test_without_protected_reads_the_key_form_just_goes_back(hash_index, tmp_path):
    open_client = TestClient(create_app(make_settings(tmp_path, retrieval_mode="bm25"), index=hash_index),
                             follow_redirects=False)  # fmt: skip
    response = open_client.get("/adgang?next=/targets")
    assert (response.status_code, response.headers["location"]) == (303, "/targets")
    assert open_client.get("/targets").status_code == 200
