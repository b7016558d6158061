"""The pages' shared layout and their static files (api/pages/layout.py, GET /static/{name})."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.pages.layout import NAV, page, query_url, source_url
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def client(hash_index, tmp_path_factory) -> TestClient:
    settings = make_settings(tmp_path_factory.mktemp("pages-layout"), retrieval_mode="bm25")
    return TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)


def test_a_page_escapes_its_title_marks_the_current_screen_and_loads_only_files():
    html = page("Mål <2022>", "<p>x</p>", active="/targets", scripts=["targets.js"]).body.decode()
    assert "<title>Mål &lt;2022&gt; – planchat</title>" in html and "<h1>Mål &lt;2022&gt;</h1>" in html
    assert '<a href="/targets" aria-current="page">Mål</a>' in html
    assert '<script src="/static/targets.js" defer></script>' in html
    assert "<style" not in html and " style=" not in html and html.count("<script") == 1
    assert [path for path, _ in NAV] == [
        "/",
        "/compare",
        "/targets",
        "/ministermaal",
        "/documents",
        "/feedback",
        "/evals",
    ]


def test_filter_urls_keep_only_what_is_set_and_repeat_list_values():
    assert query_url("/compare", {"topic": "unge ledige", "municipality": ["Vejle", "Rebild"], "year": None}) == (
        "/compare?topic=unge+ledige&municipality=Vejle&municipality=Rebild"
    )
    assert query_url("/targets", {"q": ""}) == "/targets"
    assert source_url("rebild-2022", 87, 138) == "/documents/rebild-2022?start=87&end=138"


def test_static_serves_the_stylesheet_and_nothing_but_plain_css_js_svg_names(client):
    css = client.get("/static/pages.css")
    assert (css.status_code, css.headers["content-type"]) == (200, "text/css; charset=utf-8")
    assert css.text.startswith("/* The pages' one stylesheet")
    for name in ("index.html", "..%2Fapp.py", ".hidden.js", "widget.js.map", "PAGES.CSS", "nope.css"):
        response = client.get(f"/static/{name}")
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found"), name
