"""Background ingest jobs (api/jobs.py, POST /v1/documents?wait=false, GET /v1/jobs/{id}) over HTTP
(TestClient, hash embedder, BM25 answers), and the job queue itself with work that waits on an event:
the states are asserted where they are, never after a sleep."""

from __future__ import annotations

import threading

import pytest
from conftest import make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from api.jobs import IngestJobs
from ingest.index import PlanIndex
from planchat.errors import Busy, DocumentError

KEY = "test-key-0123456789"
READ = "read-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
PLAN = (
    "# Beskæftigelsesplan 2024\n\n## Mål for ledigheden\n\n"
    "Antallet af langtidsledige i Aarhus skal begrænses til 111 personer i december 2024.\n"
)
QUESTION = "Hvor mange langtidsledige vil Aarhus højst have i 2024?"
JOB_KEYS = ["job_id", "doc_id", "status", "stage", "pages_done", "pages_total", "chunks_done", "chunks_total",
            "error", "error_code", "document", "created_at", "finished_at"]  # fmt: skip


@pytest.fixture
def client_app(tmp_path):
    settings = make_settings(tmp_path / "data", retrieval_mode="bm25", api_key=KEY, read_keys=[READ])
    index = PlanIndex(settings)
    index.sync_corpus(settings.corpus_dir)
    app = create_app(settings, index=index)
    return TestClient(app, raise_server_exceptions=False), app


def upload(client, content: bytes, name="plan.txt", wait="false", headers=AUTH, **fields):
    data = {"municipality": "Aarhus", "year": "2024", **fields}
    return client.post(f"/v1/documents?wait={wait}", files={"file": (name, content)}, data=data, headers=headers)


def test_wait_false_answers_202_with_a_queued_job_then_the_job_is_done_with_the_document(client_app):
    client, app = client_app
    response = upload(client, PLAN.encode())
    assert response.status_code == 202
    job = response.json()
    assert list(job) == JOB_KEYS
    assert response.headers["location"] == f"/v1/jobs/{job['job_id']}"
    assert {k: job[k] for k in JOB_KEYS if k not in ("job_id", "created_at")} == {
        "doc_id": "aarhus-2024", "status": "queued", "stage": "queued", "pages_done": 0, "pages_total": None,
        "chunks_done": 0, "chunks_total": None, "error": None, "error_code": None, "document": None,
        "finished_at": None,
    }  # fmt: skip
    app.state.jobs.wait(timeout=60)
    done = client.get(response.headers["location"], headers=AUTH).json()
    assert {k: done[k] for k in ("status", "stage", "pages_done", "pages_total", "chunks_done", "chunks_total",
                                 "error", "error_code")} == {  # fmt: skip
        "status": "done", "stage": "done", "pages_done": 0, "pages_total": None, "chunks_done": 1, "chunks_total": 1,
        "error": None, "error_code": None,
    }  # fmt: skip
    assert done["document"] == client.get("/v1/documents/aarhus-2024").json()
    assert done["document"]["report"]["status"] == "added" and done["finished_at"] >= done["created_at"]
    answer = client.post("/v1/ask", json={"question": QUESTION}).json()
    assert "111 personer" in answer["answer"] and answer["citations"][0]["doc_id"] == "aarhus-2024"


def test_the_synchronous_upload_stays_the_default(client_app):
    client, _ = client_app
    response = client.post("/v1/documents", files={"file": ("plan.txt", PLAN.encode())},
                           data={"municipality": "Aarhus", "year": "2024"}, headers=AUTH)  # fmt: skip
    assert (response.status_code, response.json()["report"]["status"]) == (201, "added")
    assert "location" not in response.headers


def test_a_pdf_job_reports_its_pages_and_chunks(client_app, shared_pdfs):
    client, app = client_app
    response = upload(client, (shared_pdfs / "pp-issue-848.pdf").read_bytes(), name="pp-issue-848.pdf")
    app.state.jobs.wait(timeout=120)
    done = client.get(response.headers["location"], headers=AUTH).json()
    assert (done["status"], done["pages_done"], done["pages_total"], done["chunks_done"], done["chunks_total"]) == (
        "done", 8, 8, 16, 16,
    )  # fmt: skip
    assert (done["document"]["pages"], done["document"]["report"]["empty_pages"]) == (8, 0)


def test_a_bad_file_fails_its_job_with_the_synchronous_uploads_error(client_app, shared_pdfs):
    client, app = client_app
    data = (shared_pdfs / "pp-password-example.pdf").read_bytes()
    synchronous = upload(client, data, name="pp-password-example.pdf", wait="true").json()["error"]
    response = upload(client, data, name="pp-password-example.pdf")
    assert response.status_code == 202
    app.state.jobs.wait(timeout=60)
    failed = client.get(response.headers["location"], headers=AUTH).json()
    assert (failed["status"], failed["stage"], failed["error_code"], failed["error"], failed["document"]) == (
        "failed", "failed", "encrypted_pdf", synchronous["message"], None,
    )  # fmt: skip
    assert synchronous["code"] == "encrypted_pdf"
    assert "aarhus-2024" not in {d["doc_id"] for d in client.get("/v1/documents").json()["documents"]}


def test_bad_fields_are_still_a_400_at_once_and_queue_nothing(client_app):
    client, app = client_app
    response = upload(client, PLAN.encode(), year="1800")
    assert (response.status_code, response.json()["error"]["message"]) == (
        400, "year: must be between 1990 and 2100; got 1800.",
    )  # fmt: skip
    assert app.state.jobs._jobs == {}


def test_a_job_needs_the_admin_key_and_an_unknown_job_is_a_404(client_app):
    client, _ = client_app
    job = upload(client, PLAN.encode()).json()
    assert client.get(f"/v1/jobs/{job['job_id']}").status_code == 401
    read = client.get(f"/v1/jobs/{job['job_id']}", headers={"Authorization": f"Bearer {READ}"})
    assert (read.status_code, read.json()["error"]["code"]) == (403, "forbidden")
    assert upload(client, PLAN.encode(), headers={"Authorization": f"Bearer {READ}"}).status_code == 403
    missing = client.get("/v1/jobs/0123456789abcdef", headers=AUTH)
    assert (missing.status_code, missing.json()) == (404, {"error": {"code": "not_found", "message": (
        "job_id: no ingest job '0123456789abcdef' on this server. Jobs are kept in memory only: it finished long "
        "ago, the server restarted, or another worker took it. GET /v1/documents shows whether the document is "
        "in the index."
    )}})  # fmt: skip


# -- the queue itself --------------------------------------------------------------------------


def blocked(release: threading.Event, started: threading.Event, result=None, error: Exception | None = None):
    def work(progress):
        progress.stage("embedding", 3, 3)
        progress.chunks(2, 5)
        started.set()
        assert release.wait(timeout=30)
        if error is not None:
            raise error
        return result or {"doc_id": "x"}

    return work


def test_a_running_job_shows_its_stage_pages_and_chunks_then_finishes():
    jobs = IngestJobs(max_kept=10, max_queued=5)
    release, started = threading.Event(), threading.Event()
    try:
        job = jobs.submit("x", blocked(release, started))
        assert started.wait(timeout=30)
        running = jobs.get(job["job_id"])
        assert (running["status"], running["stage"], running["pages_done"], running["pages_total"],
                running["chunks_done"], running["chunks_total"]) == ("running", "embedding", 3, 3, 2, 5)  # fmt: skip
        second = jobs.submit("y", lambda progress: {"doc_id": "y"})
        assert jobs.get(second["job_id"])["status"] == "queued"  # one worker: it waits its turn
        release.set()
        jobs.wait(timeout=30)
        finished = jobs.get(job["job_id"])
        assert (finished["status"], finished["chunks_done"], finished["document"]) == ("done", 5, {"doc_id": "x"})
        assert jobs.get(second["job_id"])["status"] == "done"
    finally:
        release.set()
        jobs.close()


def test_too_many_waiting_jobs_is_busy_and_old_finished_jobs_are_forgotten():
    jobs = IngestJobs(max_kept=2, max_queued=1)
    release, started = threading.Event(), threading.Event()
    try:
        first = jobs.submit("a", blocked(release, started, error=DocumentError("a.pdf: unreadable.")))
        with pytest.raises(Busy, match=r"^1 ingest jobs are waiting or running, the most this server takes "
                                       r"\(PLANCHAT_MAX_JOBS_QUEUED\)\."):  # fmt: skip
            jobs.submit("b", lambda progress: {})
        release.set()
        jobs.wait(timeout=30)
        failed = jobs.get(first["job_id"])
        assert (failed["status"], failed["error"], failed["error_code"]) == ("failed", "a.pdf: unreadable.",
                                                                             "bad_document")  # fmt: skip
        later = []
        for name in ("c", "d"):  # one at a time: max_queued is 1
            later.append(jobs.submit(name, lambda progress: {}))
            jobs.wait(timeout=30)
        with pytest.raises(Exception, match="no ingest job"):
            jobs.get(first["job_id"])  # the oldest finished job went when the third was kept
        assert [jobs.get(j["job_id"])["status"] for j in later] == ["done", "done"]
    finally:
        release.set()
        jobs.close()


def test_a_bug_in_a_job_is_an_internal_error_not_a_hang():
    jobs = IngestJobs(max_kept=5, max_queued=5)
    try:

        def broken(progress):
            raise RuntimeError("boom")

        job = jobs.submit("x", broken)
        jobs.wait(timeout=30)
        assert {k: jobs.get(job["job_id"])[k] for k in ("status", "error", "error_code")} == {
            "status": "failed", "error": "Something went wrong on our side; the error was logged.",
            "error_code": "internal_error",
        }  # fmt: skip
    finally:
        jobs.close()
