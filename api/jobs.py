"""Background ingest jobs: ``POST /v1/documents?wait=false`` answers 202 at
once and the upload is ingested here, in one worker thread, while
``GET /v1/jobs/{id}`` reports where it is.

- One worker thread, so jobs run one after another in the order they came
  (``queued`` until their turn, then ``running``, then ``done`` or
  ``failed``). The ingest itself is ``PlanIndex.ingest_bytes``, which
  prepares the document outside the index's write lock and stores it under
  that lock, exactly as a synchronous upload does: a job and a synchronous
  upload, or jobs of several workers, take turns on the lock.
- Progress comes from the ingest's ``stage`` and ``progress`` callbacks
  (ingest/pipeline.py): the stage, the file's pages once loaded, the chunks
  embedded of all.
- A failure is the same domain error a synchronous upload would answer
  (``error``: its message, ``error_code``: its code); an unexpected
  exception is logged and reported as ``internal_error``.
- Jobs live in this process's memory only: a restart forgets them (and a
  job that had not finished is lost; upload it again), and with several
  ``--workers`` a job is known only to the worker that took it. At most
  ``PLANCHAT_MAX_JOBS_KEPT`` are kept (the oldest finished are forgotten
  first) and at most ``PLANCHAT_MAX_JOBS_QUEUED`` may wait or run at once,
  each holding its file in memory (more is a 503 ``busy``).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from planchat.errors import Busy, NotFound, PlanchatError

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
FINISHED = (DONE, FAILED)


@dataclass
class Job:
    """One ingest's state; written by the worker thread, read through ``as_dict`` under the queue's lock."""

    job_id: str
    doc_id: str
    status: str = QUEUED
    stage: str = QUEUED
    pages_done: int = 0
    pages_total: int | None = None
    chunks_done: int = 0
    chunks_total: int | None = None
    error: str | None = None
    error_code: str | None = None
    document: dict | None = None
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None

    def as_dict(self) -> dict:
        return {
            "job_id": self.job_id, "doc_id": self.doc_id, "status": self.status, "stage": self.stage,
            "pages_done": self.pages_done, "pages_total": self.pages_total,
            "chunks_done": self.chunks_done, "chunks_total": self.chunks_total,
            "error": self.error, "error_code": self.error_code, "document": self.document,
            "created_at": self.created_at, "finished_at": self.finished_at,
        }  # fmt: skip


class JobProgress:
    """The callbacks one job's ingest reports through (ingest/pipeline.py ``Stage`` and ``Progress``)."""

    def __init__(self, job: Job, lock: threading.Lock):
        self.job = job
        self.lock = lock

    def stage(self, name: str, done: int, pages: int | None) -> None:
        with self.lock:
            self.job.stage = name
            if pages is not None:  # a file with pages (a scanned one's are counted as OCR reads them)
                self.job.pages_done, self.job.pages_total = done, pages

    def chunks(self, done: int, total: int) -> None:
        with self.lock:
            self.job.chunks_done, self.job.chunks_total = done, total


# The work of one job: (its progress callbacks) -> the document it stored, as the API shows it.
Work = Callable[[JobProgress], dict]


class IngestJobs:
    def __init__(self, max_kept: int, max_queued: int):
        self.max_kept = max_kept
        self.max_queued = max_queued
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="planchat-ingest")

    def submit(self, doc_id: str, work: Work) -> dict:
        """Queue ``work``; the new job's state (Busy when ``max_queued`` jobs are waiting or running)."""
        with self._lock:
            active = sum(1 for j in self._jobs.values() if j.status not in FINISHED)
            if active >= self.max_queued:
                raise Busy(
                    f"{active} ingest jobs are waiting or running, the most this server takes "
                    "(PLANCHAT_MAX_JOBS_QUEUED). Wait for one to finish (GET /v1/jobs/{id}), then upload again."
                )
            job = Job(job_id=uuid.uuid4().hex, doc_id=doc_id)
            self._jobs[job.job_id] = job
            self._forget_oldest()
            state = job.as_dict()
        self._pool.submit(self._run, job, work)
        return state

    def _forget_oldest(self) -> None:
        finished = [j.job_id for j in self._jobs.values() if j.status in FINISHED]
        for job_id in finished[: max(0, len(self._jobs) - self.max_kept)]:
            del self._jobs[job_id]

    def _run(self, job: Job, work: Work) -> None:
        with self._lock:
            job.status, job.stage = RUNNING, "loading"
        try:
            document = work(JobProgress(job, self._lock))
        except PlanchatError as exc:
            self._finish(job, FAILED, error=(exc.message, exc.code))
        except Exception:  # a bug: logged with its traceback; the job says so instead of hanging
            log.exception("ingest job %s failed", job.job_id)
            self._finish(
                job, FAILED, error=("Something went wrong on our side; the error was logged.", "internal_error")
            )
        else:
            self._finish(job, DONE, document=document)

    def _finish(self, job: Job, status: str, *, document: dict | None = None, error: tuple | None = None) -> None:
        with self._lock:
            job.status, job.stage, job.finished_at = status, status, time.time()
            job.document = document
            if error is not None:
                job.error, job.error_code = error
            elif job.chunks_total is not None:
                job.chunks_done = job.chunks_total
            self._forget_oldest()

    def get(self, job_id: str) -> dict:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise NotFound(
                    f"job_id: no ingest job '{job_id[:64]}' on this server. Jobs are kept in memory only: it "
                    "finished long ago, the server restarted, or another worker took it. GET /v1/documents "
                    "shows whether the document is in the index."
                )
            return job.as_dict()

    def wait(self, timeout: float | None = None) -> None:
        """Block until every job queued so far has finished (tests, shutdown)."""
        self._pool.submit(lambda: None).result(timeout=timeout)

    def close(self) -> None:
        """Forget the queued jobs; a running one finishes first (the index closes after this)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
