"""PLANCHAT_ALLOWED_HOSTS (api/hosts.py): a DNS-rebinding page's Host is refused in the API's error shape."""

from __future__ import annotations

import pytest
from conftest import make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from api.hosts import host_allowed

REFUSED = {
    "error": {
        "code": "unknown_host",
        "message": "Host 'evil.example:8000' is not one this server answers (PLANCHAT_ALLOWED_HOSTS). "
        "Use the server's own address.",
    }
}


@pytest.mark.parametrize(
    "host, allowed, expected",
    [
        ("planchat.example.dk", ["planchat.example.dk"], True),
        ("PLANCHAT.example.dk:443", ["planchat.example.dk"], True),
        ("a.b.example.dk", ["*.example.dk"], True),
        ("example.dk", ["*.example.dk"], False),
        ("evilexample.dk", ["*.example.dk"], False),
        ("[::1]", ["[::1]"], True),
        ("[::1]:8000", ["[::1]"], True),
        ("anything", ["*"], True),
        ("", ["planchat.example.dk"], False),
        ("evil.example", ["planchat.example.dk", "127.0.0.1"], False),
    ],
)
def test_host_matching(host, allowed, expected):
    assert host_allowed(host, allowed) is expected


def test_only_the_allowed_hosts_are_answered_and_the_rest_get_a_400_that_says_why(hash_index, tmp_path):
    settings = make_settings(tmp_path, retrieval_mode="bm25", allowed_hosts=["127.0.0.1", "planchat.example.dk"])
    client = TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)
    assert client.get("/healthz", headers={"Host": "planchat.example.dk"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    refused = client.post("/v1/ask", headers={"Host": "evil.example:8000"}, json={"question": "Hvad er målet?"})
    assert (refused.status_code, refused.json()) == (400, REFUSED)
    assert refused.headers["x-content-type-options"] == "nosniff"  # still inside the security headers


def test_without_the_setting_any_host_is_answered(hash_index, tmp_path):
    client = TestClient(create_app(make_settings(tmp_path, retrieval_mode="bm25"), index=hash_index))
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 200
