"""/documents and /feedback (api/pages/documents.py, feedback.py) as HTML: every document's ingest report, who
manages it, delete only for uploads, the search and the pages of the list, the key field, nothing inline, and
protected like the reads."""

from __future__ import annotations

import re

import pytest
from conftest import make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from api.pages import documents
from ingest.index import PlanIndex

KEY = "admin-key-0123456789"
CORPUS = ["fredericia-2023", "jammerbugt-2014", "rebild-2022", "region-hovedstaden-sjaelland-2010", "vejle-2020-23"]
PLAN = "# Plan\n\nAntallet af langtidsledige i Aarhus skal begrænses til 111 personer i december 2024.\n"


@pytest.fixture
def client(tmp_path):
    settings = make_settings(tmp_path / "data", retrieval_mode="bm25", api_key=KEY)
    index = PlanIndex(settings)
    index.sync_corpus(settings.corpus_dir)
    return TestClient(create_app(settings, index=index), raise_server_exceptions=False)


def rows(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-doc-id="([^"]+)">(.*?)</tr>', html))


def cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]


def test_the_list_shows_each_documents_report_and_who_manages_it(client, shared_pdfs):
    headers = {"Authorization": f"Bearer {KEY}"}
    client.post("/v1/documents", files={"file": ("plan.txt", PLAN.encode())},
                data={"municipality": "Aarhus", "year": "2024"}, headers=headers)  # fmt: skip
    client.post("/v1/documents", files={"file": ("p.pdf", (shared_pdfs / "pp-issue-848.pdf").read_bytes())},
                data={"municipality": "Odder", "year": "2023", "title": "Odder <test>"}, headers=headers)  # fmt: skip
    response = client.get("/documents")
    assert response.status_code == 200 and response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    found = rows(html)
    assert list(found) == ["aarhus-2024", *CORPUS[:2], "odder-2023", *CORPUS[2:]]
    # Kommune, År, Sider, Tomme sider, Tekststykker, Mål, Advarsler, Styres af, Handling
    assert cells(found["aarhus-2024"]) == ["Aarhus", "2024", "–", "–", "1", "1", "Ingen", "Upload", "Slet"]
    assert cells(found["odder-2023"]) == ["Odder", "2023", "8", "0", "16", "0", "Ingen", "Upload", "Slet"]
    assert cells(found["jammerbugt-2014"])[-2:] == ["Korpus", "Ændres i korpusmappen"]
    assert '<a href="/documents/odder-2023">Odder &lt;test&gt;</a>' in found["odder-2023"]
    assert 'data-delete-doc="odder-2023" data-title="Odder &lt;test&gt;"' in found["odder-2023"]
    assert "data-delete-doc" not in found["jammerbugt-2014"]
    assert '<p class="muted" id="documents-count">7 dokumenter</p>' in html


def test_the_page_has_the_key_field_the_upload_form_and_a_progress_bar_and_nothing_inline(client):
    html = client.get("/documents").text
    for part in ('<input type="password" id="admin-key" autocomplete="off"',
                 '<form id="upload-form" class="filters" method="post" action="/v1/documents" '
                 'enctype="multipart/form-data">',
                 '<progress id="upload-progress" max="100" value="0"', '<datalist id="municipality-names">',
                 '<script src="/static/admin-key.js" defer></script><script src="/static/documents.js" defer>',
                 '<link rel="stylesheet" href="/static/admin.css">'):  # fmt: skip
        assert part in html, part
    assert "<style" not in html and not re.search(r"\s(style|on[a-z]+)=", html)
    for name in ("admin-key.js", "documents.js", "feedback.js", "feedback-list.js", "admin.css", "feedback.css"):
        assert client.get(f"/static/{name}").status_code == 200, name


def test_search_and_pages_live_in_the_query_string(client, monkeypatch):
    assert list(rows(client.get("/documents?q=vejle").text)) == ["vejle-2020-23"]
    assert '<p class="muted" id="documents-count">1 af 5 dokumenter</p>' in client.get("/documents?q=vejle").text
    monkeypatch.setattr(documents, "PER_PAGE", 2)
    second = client.get("/documents?page=2").text
    assert list(rows(second)) == CORPUS[2:4]
    assert '<a href="/documents?page=1" rel="prev">Forrige</a> <span>Side 2 af 3</span> ' in second
    assert list(rows(client.get("/documents?page=99").text)) == CORPUS[4:]  # past the end: the last page


def test_the_feedback_page_loads_its_entries_by_script_with_the_key(client):
    html = client.get("/feedback").text
    assert '<input type="password" id="admin-key"' in html and '<tbody id="feedback-rows"></tbody>' in html
    assert '<script src="/static/admin-key.js" defer></script><script src="/static/feedback-list.js" defer>' in html
    assert "<style" not in html and not re.search(r"\s(style|on[a-z]+)=", html)


def test_pages_are_protected_like_the_reads(tmp_path, hash_index):
    settings = make_settings(tmp_path / "data", api_key=KEY, read_keys=["read-0123456789"], protect_reads=True)
    client = TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False, follow_redirects=False)
    for path in ("/documents", "/feedback", "/evals"):
        assert (client.get(path).status_code, client.get(path).headers["location"]) == (
            303, f"/adgang?next=%2F{path[1:]}"), path  # fmt: skip
        assert client.get(path, headers={"Authorization": "Bearer read-0123456789"}).status_code == 200, path
