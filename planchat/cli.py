"""The ``planchat`` command line: ingest, ask, compare, targets, serve, eval, eval-targets, documents, feedback.

Domain errors are printed as one line ("error: <message>") with exit code 2;
nothing else is caught, so a traceback always means a bug.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from ingest.corpus import (  # under their former local names, so the commands below are unchanged
    ensure_corpus,
)
from ingest.corpus import (
    open_index as _index,
)
from ingest.corpus import (
    print_report as _print_report,
)
from ingest.corpus import (
    report_repairs as _report_repairs,
)
from planchat.config import RetrievalMode, Settings
from planchat.errors import InvalidRequest, PlanchatError


class Progress:
    """A progress bar on stderr for long ingests: redrawn in place on a
    terminal, a line per quarter otherwise (logs, CI)."""

    WIDTH = 30

    def __init__(self, label: str, stream=None):
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last_quarter = -1

    def __call__(self, done: int, total: int) -> None:
        if total <= 0:
            return
        if self.tty:
            filled = self.WIDTH * done // total
            bar = "#" * filled + "." * (self.WIDTH - filled)
            end = "\n" if done >= total else ""
            print(f"\r{self.label} [{bar}] {done}/{total} chunks", end=end, file=self.stream, flush=True)
            return
        quarter = 4 * done // total
        if quarter > self.last_quarter:
            self.last_quarter = quarter
            print(f"{self.label} {done}/{total} chunks", file=self.stream, flush=True)


def cmd_ingest(args, settings: Settings) -> int:
    index = _index(settings)
    if not args.paths:
        ensure_corpus(settings, index)
        return 0
    _report_repairs(index.check_consistency(repair=True))
    for raw in args.paths:
        path = Path(raw)
        if path.is_dir():
            started = time.perf_counter()
            reports = index.sync_corpus(path, progress=_print_report)
            print(f"{path}: {len(reports)} documents, {time.perf_counter() - started:.1f}s", flush=True)
            continue
        if not path.is_file():
            raise InvalidRequest(f"{path}: no such file or directory.")
        if args.municipality is None or args.year is None:
            raise InvalidRequest(
                f"{path}: a single file needs --municipality and --year (or put it in a folder with a manifest.json)."
            )
        from ingest.uploads import upload_meta

        # The same rules as POST /v1/documents: one document per municipality and year.
        name, meta = upload_meta(
            index, path.name, args.municipality, args.year, args.title, args.kind, args.id, args.publisher_kind
        )
        _print_report(index.ingest_bytes(path.read_bytes(), name, meta, progress=Progress(f"{name}: embedding")))
    return 0


def cmd_ask(args, settings: Settings) -> int:
    from retrieval.service import AskService

    index = _index(settings)
    if index.is_empty():
        # Progress goes to stderr: stdout carries only the answer (or its JSON).
        ensure_corpus(settings, index, stream=sys.stderr)
    from retrieval.chat import ChatService
    from retrieval.llm_client import generator_from_settings

    service = AskService(index, settings, mode=args.mode)
    chat = ChatService(settings, store=None, generator=generator_from_settings(settings))
    prepared = chat.prepare(service, args.question, args.municipality or None, args.year or None, args.top_k,
                            remember=False)  # fmt: skip
    reply = chat.turn(prepared)  # the same turn as POST /v1/ask; its body is the answer record
    answer, notice = reply.answer, reply.notice
    if args.json:
        print(json.dumps(reply.body, ensure_ascii=False, indent=2))
        return 0
    from api.streaming import markdown_answer

    if notice:
        print(notice)
    print(markdown_answer(answer.answer))  # a list answer's items as "- " lines, as in the OpenAI text
    if answer.citations:
        print()
    for c in answer.citations:
        where = f"{c.municipality} {c.year}" + (f", s. {c.page_label or c.page}" if c.page else "")
        label = (" (se også)" if c.role == "see_also" else "") + (" (tekst genkendt fra scannet side)" if c.ocr else "")
        print(f"[{c.n}] {where} – {c.title}{label}")
        if c.section:
            print(f"    § {c.section}")
        print(f"    «{_indented(c.quote, '     ')}»")
    return 0


def _indented(text: str, indent: str) -> str:
    """``text`` with its further lines indented (blank lines stay blank): a
    quote's own line breaks stay, and its lines stay under its first."""
    first, *rest = text.split("\n")
    return "\n".join([first, *(indent + line if line else line for line in rest)])


def _ready_index(settings: Settings):
    index = _index(settings)
    if index.is_empty():
        ensure_corpus(settings, index, stream=sys.stderr)  # stdout carries only the result
    return index


def cmd_compare(args, settings: Settings) -> int:
    import shutil

    from retrieval import formatting
    from retrieval.compare import CompareService
    from retrieval.service import AskService

    index = _ready_index(settings)
    comparison = CompareService(AskService(index, settings)).compare(args.topic, args.municipality, args.year)
    if args.format == "json":
        print(formatting.comparison_json(comparison))
    elif args.format == "csv":
        sys.stdout.write(formatting.comparison_csv(comparison))
    elif args.format == "markdown":
        sys.stdout.write(formatting.comparison_markdown(comparison))
    else:
        width = args.width or shutil.get_terminal_size((100, 24)).columns
        sys.stdout.write(formatting.comparison_table(comparison, width))
    return 0


def cmd_targets(args, settings: Settings) -> int:
    import shutil

    from retrieval import formatting
    from retrieval.target_selection import select_targets_for, targets_csv

    index = _ready_index(settings)
    # The same selection and validation as GET /v1/targets.
    found = select_targets_for(index.snapshot, args.municipality, args.year, args.q, args.distinct)
    if args.format == "json":
        print(json.dumps({"targets": [asdict(t) for t in found]}, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        sys.stdout.write(targets_csv(found))
    else:
        sys.stdout.write(formatting.targets_table(found, shutil.get_terminal_size((100, 24)).columns))
    return 0


def cmd_serve(args, settings: Settings) -> int:
    import logging.config

    import uvicorn

    from api.app import create_app
    from api.logs import log_config

    if args.workers > 1 and not settings.chroma_url:
        raise InvalidRequest(
            "--workers: several workers need a Chroma server (embedded Chroma is one process only). "
            "Start `chroma run --path DIR --port 8001` and set PLANCHAT_CHROMA_URL=http://127.0.0.1:8001."
        )
    logging_config = log_config(settings.log_format, args.log_level)
    logging.config.dictConfig(logging_config)  # the start-up's own log lines too (uvicorn applies it again)
    index = _index(settings, lazy_embedder=False)  # loaded now: the first question is answered as fast as the next
    if args.no_ingest:
        _report_repairs(index.check_consistency(repair=True))  # ensure_corpus does this too
    else:
        ensure_corpus(settings, index)
    # uvicorn's own limits (--timeout-keep-alive, --limit-concurrency; per worker process) and planchat's log lines.
    limit = settings.max_concurrency or None
    options = dict(host=args.host, port=args.port, log_level=args.log_level, log_config=logging_config,
                   timeout_keep_alive=settings.keepalive_s, limit_concurrency=limit)  # fmt: skip
    print(f"serve: keep-alive {settings.keepalive_s:g} s, at most {limit or 'unlimited'} connections per process, "
          f"{settings.log_format} logs", flush=True)  # fmt: skip
    if args.workers > 1:
        # Each worker builds its own app from the same PLANCHAT_* environment and
        # follows the others' writes through the shared document store.
        index.docstore.close()
        del index
        with _shared_metrics_dir():
            uvicorn.run("api.app:create_app", factory=True, workers=args.workers, **options)
        return 0
    app = create_app(settings, index=index)
    uvicorn.run(app, **options)
    return 0


@contextmanager
def _shared_metrics_dir():
    """A fresh directory for prometheus-client's multiprocess mode, named in
    its own variable, PROMETHEUS_MULTIPROC_DIR, which every worker (a new
    process, started after this) reads when it imports the client: each
    counts into its own files there and /metrics sums them all."""
    import os
    import shutil
    import tempfile

    path = tempfile.mkdtemp(prefix="planchat-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    try:
        yield
    finally:
        shutil.rmtree(path, ignore_errors=True)


def cmd_documents(args, settings: Settings) -> int:
    from ingest.stores.docstore import DocStore
    from ingest.uploads import delete_uploaded

    action = args.action or "list"
    if action == "list":
        # list and show read the document store alone: no model, Chroma or BM25 to load.
        for record in DocStore(settings.docstore_path).documents():
            meta = record.meta
            print(f"{meta.doc_id:40} {meta.municipality:30} {meta.year}  {record.chunk_count:5} chunks  "
                  f"{record.managed_by:6}  {meta.title}")  # fmt: skip
        return 0
    if not args.doc_id:
        raise InvalidRequest(f"documents {action}: name the document id (see `planchat documents list`).")
    if action == "show":
        shown = DocStore(settings.docstore_path).document(args.doc_id)
        if shown is None:
            raise InvalidRequest(f"{args.doc_id}: no such document (see `planchat documents list`).")
        out = {**asdict(shown.meta), "managed_by": shown.managed_by, "chunks": shown.chunk_count,
               "chars": shown.chars, "pages": shown.pages, "content_hash": shown.content_hash,
               "ingested_at": shown.ingested_at, "report": shown.report}  # fmt: skip
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    _print_report(delete_uploaded(_index(settings), args.doc_id))
    return 0


def cmd_eval(args, settings: Settings) -> int:
    from evals.runner import main as eval_main

    return eval_main(args, settings)


def cmd_eval_targets(args, settings: Settings) -> int:
    from evals.target_scoring import main as targets_main

    return targets_main(args, settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planchat", description="Cited answers from Danish employment plans.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_index_commands(sub)
    _add_question_commands(sub)
    _add_eval_commands(sub)
    return parser


def _add_index_commands(sub) -> None:
    """ingest, serve, documents: what builds, serves and manages the index."""
    p = sub.add_parser("ingest", help="ingest corpus/ (default) or the given files/folders")
    p.add_argument("paths", nargs="*", help="files (.pdf, .docx, .html, .txt, .md) or folders with a manifest.json")
    p.add_argument("--municipality", help="for a single file: its municipality")
    p.add_argument("--year", type=int, help="for a single file: its plan year")
    p.add_argument("--title", help="for a single file: its title")
    p.add_argument("--kind", default="municipal plan", help="for a single file: what the document is")
    p.add_argument("--publisher-kind", choices=("municipality", "region", "national", "historical", "other"),
                   help="for a single file: who published it (--municipality names the publisher)")  # fmt: skip
    p.add_argument(
        "--id",
        help="for a single file: the document id (default: that of the municipality's plan for "
        "the year, else <municipality>-<year>)",
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("serve", help="ingest corpus/ if needed, then serve the API and demo page")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-ingest", action="store_true", help="serve the index as it is")
    p.add_argument(
        "--log-level",
        default="info",
        help="debug also logs each question, redacted (PLANCHAT_LOG_FORMAT: text or json)",
    )
    p.add_argument(
        "--workers", type=int, default=1, help="API worker processes (more than 1 needs PLANCHAT_CHROMA_URL)"
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("documents", help="list, show or delete the documents in the index")
    p.add_argument("action", nargs="?", choices=["list", "show", "delete"], help="default: list")
    p.add_argument("doc_id", nargs="?", help="for show and delete")
    p.set_defaults(func=cmd_documents)


def _add_question_commands(sub) -> None:
    """ask, compare, targets: what staff and planners read."""
    p = sub.add_parser("ask", help="ask a question and print the answer with its citations")
    p.add_argument("question")
    p.add_argument("--municipality", action="append", help="only this municipality (repeatable)")
    p.add_argument("--year", type=int, action="append", help="only plans covering this year (repeatable)")
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--mode", choices=[m.value for m in RetrievalMode], default=None, help="retrieval mode")
    p.add_argument("--json", action="store_true", help="print the full answer record as JSON")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("compare", help="compare the plans on a topic: one row per plan, cited, or 'not stated'")
    p.add_argument("topic", help="what to compare, e.g. 'langtidsledighed'")
    p.add_argument("--municipality", action="append", help="only this municipality (repeatable)")
    p.add_argument("--year", type=int, action="append", help="only plans covering this year (repeatable)")
    p.add_argument("--format", choices=["table", "csv", "json", "markdown"], default="table")
    p.add_argument("--width", type=int, help="table width (default: the terminal's)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("targets", help="list the quantitative targets extracted from the plans")
    p.add_argument("--municipality", action="append", help="only this municipality (repeatable)")
    p.add_argument("--year", type=int, action="append", help="plan year or target year (repeatable)")
    p.add_argument("--q", help="words the indicator or quote must match")
    p.add_argument("--distinct", action="store_true", help="one of each target a plan states more than once")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(func=cmd_targets)


def _add_eval_commands(sub) -> None:
    """eval, eval-targets: what evaluators score."""
    p = sub.add_parser("eval", help="run a question set and score the answers")
    p.add_argument("set", type=Path, help="a JSON Lines question set, e.g. evals/sets/core.jsonl")
    p.add_argument(
        "--config",
        action="append",
        dest="configs",
        choices=[m.value for m in RetrievalMode],
        metavar="CONFIGS",
        help=f"retrieval mode(s) to compare: {', '.join(RetrievalMode)}",
    )
    p.add_argument("--json", type=Path, dest="json_out", help="write scores and per-question rows here")
    p.add_argument("--report", type=Path, help="write a self-contained HTML report here (and publish it to /evals)")
    p.add_argument("--against", help="base URL of a running planchat server (default: in-process)")
    p.add_argument(
        "--api-key", help="key sent to --against (default: PLANCHAT_API_KEY; the admin key is not rate limited)"
    )
    p.add_argument(
        "--baseline", type=Path, help="compare with this baseline (e.g. evals/baseline.json); exit 1 on a drop"
    )
    p.add_argument("--tolerance", type=float, help="allowed drop per score (default: the baseline's, else 0.02)")
    p.add_argument("--update-baseline", action="store_true", help="write the scores of this run to --baseline")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_eval)

    from evals.feedback_export import add_feedback_command
    from evals.target_scoring import DEFAULT_LABELS

    add_feedback_command(sub)  # feedback export: answers' feedback as a question-set skeleton

    p = sub.add_parser("eval-targets", help="score target extraction against the hand-labelled targets")
    p.add_argument("labels", type=Path, nargs="?", default=DEFAULT_LABELS, help="default: evals/targets.jsonl")
    p.add_argument("--json", type=Path, dest="json_out", help="write the scores, misses and extras here")
    p.add_argument("--show-misses", action="store_true", help="list missed labels, extra targets, wrong attributes")
    p.set_defaults(func=cmd_eval_targets)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
        return args.func(args, settings)
    except PlanchatError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
