"""Publish an eval run for the evaluator view (/evals, api/pages/evals.py).

``planchat eval --report FILE`` writes its stand-alone page to FILE and
also publishes the run into the reports dir (``PLANCHAT_EVAL_REPORTS_DIR``,
default ``data_dir/eval-reports``), as three files named
``<YYYYmmdd-HHMMSS>-<set>``:

- ``.json``: the runner's payload, every row with ``passed`` (not failing,
  the report's own rule), so two runs can be diffed question by question;
- ``.summary.json``: set, time, commit and each configuration's scores,
  all /evals reads to list the reports;
- ``.html``: the report inside the pages' layout, its style from
  /static/eval-report.css: nothing inline, so it is served under the
  page CSP as it is.

The newest ``PLANCHAT_EVAL_REPORTS_KEPT`` are kept; older ones are deleted
when a new one is published.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from api.pages.layout import page

from .report import REPORT_CSS, is_failing, meta_list, report_sections, report_title

SUFFIXES = (".summary.json", ".html", ".json")  # the summary first: without it a report is not listed


def report_name(payload: dict, now: float, taken) -> str:
    stem = re.sub(r"[^a-z0-9._-]+", "-", Path(str(payload.get("set", ""))).stem.lower()).strip("-._")
    base = time.strftime("%Y%m%d-%H%M%S", time.localtime(now)) + (f"-{stem}" if stem else "")
    name, n = base, 2
    while taken(name):
        name, n = f"{base}-{n}", n + 1
    return name


def with_verdicts(payload: dict) -> dict:
    configs = [{**c, "rows": [{**r, "passed": not is_failing(r)} for r in c.get("rows", [])]}
               for c in payload.get("configs", [])]  # fmt: skip
    return {**payload, "configs": configs}


def summary_of(name: str, payload: dict) -> dict:
    return {
        "name": name,
        **{k: payload.get(k) for k in ("set", "against", "generated_at", "commit")},
        "configs": [
            {"config": c["config"], "summary": c.get("summary", {}),
             "passed": sum(1 for r in c.get("rows", []) if r["passed"]), "questions": len(c.get("rows", []))}
            for c in payload.get("configs", [])
        ],
    }  # fmt: skip


def served_page(payload: dict) -> str:
    body = meta_list(payload) + '\n<p><a href="/evals">Alle evalueringer</a></p>\n' + report_sections(payload)
    return bytes(page(report_title(payload), body, active="/evals", styles=(REPORT_CSS,)).body).decode("utf-8")


def publish_report(payload: dict, reports_dir: Path, kept: int, now: float | None = None) -> str:
    """Write the run's three files into ``reports_dir``; its name. Older reports beyond ``kept`` are deleted."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    now = time.time() if now is None else now
    name = report_name(payload, now, lambda n: (reports_dir / f"{n}.json").exists())
    full = with_verdicts(payload)
    (reports_dir / f"{name}.html").write_text(served_page(full), encoding="utf-8")
    (reports_dir / f"{name}.json").write_text(json.dumps(full, ensure_ascii=False), encoding="utf-8")
    # Last: /evals lists a report by its summary, so it never lists one whose other files are not there yet.
    summary = json.dumps(summary_of(name, full), ensure_ascii=False, indent=1)
    (reports_dir / f"{name}.summary.json").write_text(summary, encoding="utf-8")
    published = sorted(p.name.removesuffix(".summary.json") for p in reports_dir.glob("*.summary.json"))
    for old in published[: max(0, len(published) - kept)]:
        for suffix in SUFFIXES:
            (reports_dir / f"{old}{suffix}").unlink(missing_ok=True)
    return name
