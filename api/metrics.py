"""Prometheus metrics (prometheus-client), served at GET /metrics (api/routes/metrics.py).

Counted as requests are served (each app has its own registry, so several
apps in one process, as in the tests, never share or clash):

- ``planchat_http_request_duration_seconds{method, route, status}``: a
  histogram; ``route`` is the route's template (api/observability.py),
  so no conversation id or document text ever becomes a label; a stream
  is timed to its last event. Its ``_count`` is the request count.
- ``planchat_answers_total{kind, abstained, generator}``: every answered
  turn (/v1/ask, /v1/ask/stream, /v1/chat/completions): ``kind`` as in
  the answer (list, how, when, who, number, fact, abstain), ``abstained``
  true|false, ``generator`` extractive or llm:<model> (an LLM answer that
  fell back counts as extractive).

Read from the index when scraped (the same in every worker, since the
document store is shared; the worker first catches up with other
processes' writes):

- ``planchat_index_documents``, ``planchat_index_chunks``,
  ``planchat_index_targets``: the index's size;
- ``planchat_document_ingest_seconds{doc_id}``: how long each document's
  last ingest took (load, clean, chunk, embed, store), from its stored
  ingest report, whichever process ingested it (``planchat ingest``, the
  start-up sync, an upload). Uploads over HTTP are also in the request
  histogram under ``route="/v1/documents"``.

Several workers (``planchat serve --workers N``): the counters live in
prometheus-client's multiprocess files (``PROMETHEUS_MULTIPROC_DIR``, which
``serve`` sets to a fresh directory) and /metrics sums every worker's, so a
scrape answered by any worker is the whole server. One process: in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from planchat.records import Answer

if TYPE_CHECKING:
    from ingest.index import PlanIndex

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
# Seconds: an extractive answer takes ~20-50 ms, an LLM answer or a stream seconds, an upload minutes.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def multiprocess() -> bool:
    """Whether prometheus-client keeps its values in PROMETHEUS_MULTIPROC_DIR (decided when it was imported)."""
    return values.ValueClass is not values.MutexValue


class IndexCollector:
    """The index's size and its documents' ingest durations, read when scraped."""

    def __init__(self, index_of: Callable[[], PlanIndex]):
        self.index_of = index_of

    def collect(self):
        index = self.index_of()
        index.refresh_if_stale()  # another worker or `planchat ingest` may have written
        snapshot = index.snapshot
        yield GaugeMetricFamily("planchat_index_documents", "Documents in the index.", len(snapshot.documents))
        yield GaugeMetricFamily("planchat_index_chunks", "Chunks in the index.", len(snapshot.bm25))
        yield GaugeMetricFamily("planchat_index_targets", "Quantitative targets extracted from the documents.",
                                len(snapshot.targets()))  # fmt: skip
        ingest = GaugeMetricFamily(
            "planchat_document_ingest_seconds", "Seconds the document's last ingest took (its stored ingest report).",
            labels=["doc_id"],
        )  # fmt: skip
        for record in index.document_records():
            seconds = (record.report or {}).get("seconds")
            if isinstance(seconds, (int, float)):
                ingest.add_metric([record.meta.doc_id], float(seconds))
        yield ingest


class Metrics:
    def __init__(self, index_of: Callable[[], PlanIndex]):
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "planchat_http_request_duration_seconds", "HTTP request latency, to the end of the response body.",
            ["method", "route", "status"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.answers = Counter(
            "planchat_answers_total", "Answered questions by answer kind, abstention and generator.",
            ["kind", "abstained", "generator"], registry=self.registry,
        )  # fmt: skip
        if multiprocess():
            # The values above are written to this process's files; what is served is every process's sum.
            self.exposed = CollectorRegistry()
            MultiProcessCollector(self.exposed)
        else:
            self.exposed = self.registry
        self.exposed.register(IndexCollector(index_of))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).observe(seconds)

    def count_answer(self, answer: Answer) -> None:
        self.answers.labels(answer.kind, "true" if answer.abstained else "false", answer.generator).inc()

    def counting(self, shape: Callable) -> Callable:
        """A chat service's ``shape`` (it shapes each answered turn's body) that also counts the answer."""

        def counted(prepared, answer: Answer, notice: str | None) -> dict:
            self.count_answer(answer)
            return shape(prepared, answer, notice)

        return counted

    def exposition(self) -> bytes:
        return generate_latest(self.exposed)
