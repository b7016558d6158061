"""Issue 17, finding 2: a page on another site auto-submitted a multipart
form to /v1/documents and stored a forged plan. A write a browser marks as
coming from another site is a 403 in every mode, anonymous writes included;
asking stays a read (CORS governs it). Here through the TestClient, header
by header; tests/e2e/test_attacker.py does it with real Chromium."""

from __future__ import annotations

import pytest
from conftest import make_settings
from expected import JAMMERBUGT_Q
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.index import PlanIndex

ALLOWED = "https://jobcenter.example.dk"
EVIL = "https://evil.example.com"
OWN = "http://testserver"  # the TestClient's own origin
ADMIN = "admin-key-0123456789"
PLAN = "# Beskæftigelsesplan 2024\n\nAntallet af langtidsledige i Aarhus skal begrænses til 111 personer.\n"
SEC_FETCH_REFUSED = (
    "Cross-site write refused: the browser marked this request 'Sec-Fetch-Site: cross-site'. Write from this "
    "server's own pages, or from a client outside the browser (curl, a script)."
)


def origin_refused(origin: str) -> str:
    return (
        f"Cross-site write refused: Origin '{origin}' is neither this server's own origin nor in "
        "PLANCHAT_CORS_ORIGINS. Write from this server's own pages, or from a client outside the browser "
        "(curl, a script)."
    )


def error(response) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


def upload(client, headers, year="2024"):
    return client.post("/v1/documents", files={"file": ("plan.txt", PLAN.encode())},
                       data={"municipality": "Aarhus", "year": year}, headers=headers)  # fmt: skip


def build(tmp_path, **overrides) -> tuple[TestClient, PlanIndex]:
    settings = make_settings(tmp_path / "data", retrieval_mode="bm25", cors_origins=[ALLOWED], **overrides)
    index = PlanIndex(settings)
    index.sync_corpus(settings.corpus_dir)
    return TestClient(create_app(settings, index=index), raise_server_exceptions=False), index


@pytest.fixture
def anonymous(tmp_path):
    return build(tmp_path, allow_anonymous_writes=True)


REFUSED = [
    ({"Origin": EVIL}, origin_refused(EVIL)),
    ({"Origin": "null"}, origin_refused("null")),  # a sandboxed frame or a file:// page
    ({"Origin": "http://testserver:8080"}, origin_refused("http://testserver:8080")),  # another port, another origin
    ({"Origin": EVIL, "Sec-Fetch-Site": "same-site"}, origin_refused(EVIL)),
    ({"Sec-Fetch-Site": "cross-site"}, SEC_FETCH_REFUSED),
    ({"Origin": ALLOWED, "Sec-Fetch-Site": "cross-site"}, SEC_FETCH_REFUSED),
    ({"Origin": OWN, "Sec-Fetch-Site": "cross-site"}, SEC_FETCH_REFUSED),
]


@pytest.mark.parametrize("headers, message", REFUSED, ids=[" ".join(h.values()) for h, _ in REFUSED])
def test_a_cross_site_upload_is_refused_in_anonymous_writes_mode(anonymous, headers, message):
    client, index = anonymous
    assert error(upload(client, headers)) == (403, "forbidden", message)
    assert index.docstore.document("aarhus-2024") is None


ACCEPTED = [
    {},  # curl, a script: no browser headers
    {"Origin": OWN, "Sec-Fetch-Site": "same-origin"},
    {"Origin": "HTTP://TESTSERVER/"},  # the same origin, written otherwise
    {"Origin": ALLOWED, "Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "none"},  # typed into the address bar
]


@pytest.mark.parametrize("headers", ACCEPTED, ids=[" ".join(h.values()) or "no headers" for h in ACCEPTED])
def test_a_same_site_or_non_browser_upload_still_works(anonymous, headers):
    client, index = anonymous
    assert upload(client, headers).status_code == 201
    assert index.docstore.document("aarhus-2024") is not None


def test_a_cross_site_delete_is_refused_and_the_document_stays(anonymous):
    client, index = anonymous
    assert upload(client, {}).status_code == 201
    response = client.delete("/v1/documents/aarhus-2024", headers={"Origin": EVIL})
    assert error(response) == (403, "forbidden", origin_refused(EVIL))
    assert index.docstore.document("aarhus-2024") is not None
    assert client.delete("/v1/documents/aarhus-2024", headers={"Origin": OWN}).status_code == 200


def test_the_admin_key_does_not_make_a_cross_site_write_acceptable(tmp_path):
    client, index = build(tmp_path, api_key=ADMIN)
    headers = {"Authorization": f"Bearer {ADMIN}", "Sec-Fetch-Site": "cross-site"}
    assert error(upload(client, headers)) == (403, "forbidden", SEC_FETCH_REFUSED)
    assert error(upload(client, {"X-API-Key": ADMIN, "Origin": EVIL})) == (403, "forbidden", origin_refused(EVIL))
    assert index.docstore.document("aarhus-2024") is None
    assert upload(client, {"X-API-Key": ADMIN}).status_code == 201


def test_asking_from_another_site_is_a_read(anonymous):
    client, _ = anonymous
    for path in ("/v1/ask", "/v1/ask/stream"):
        response = client.post(
            path, json={"question": JAMMERBUGT_Q}, headers={"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}
        )
        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers  # CORS still keeps the answer from the page
