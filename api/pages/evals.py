"""/evals: the evaluator's view of the published eval reports.

``planchat eval --report`` publishes each run into the reports dir
(evals/publish.py): its page (``NAME.html``, inside this layout, nothing
inline), its rows (``NAME.json``, each with ``passed``) and a summary
(``NAME.summary.json``). This module only reads them:

- ``/evals`` lists the reports, newest first, with each configuration's
  score, and a form to diff two of them;
- ``/evals/{name}`` serves a report's page as it was published;
- ``/evals/diff?report=&baseline=`` shows the questions that flipped
  between the two runs (passed in one, failing in the other), per
  configuration both have, with both answers side by side.

A name is only ever looked up among the listed files, never used as a path.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from planchat.errors import InvalidRequest, NotFound

from .layout import esc, page, query_url

NAME = re.compile(r"^\d{8}-\d{6}(?:-[a-z0-9][a-z0-9._-]*)?$")
SCORES = (("fact_accuracy", "fakta"), ("abstention_recall", "afvisning R"), ("recall_at_5", "R@5"))


def list_reports(folder: Path) -> list[dict]:
    """The published reports' summaries, newest first (names start with their time)."""
    found = []
    for path in folder.glob("*.summary.json") if folder.is_dir() else ():
        name = path.name.removesuffix(".summary.json")
        if not NAME.match(name):
            continue
        try:
            found.append({**json.loads(path.read_text(encoding="utf-8")), "name": name})
        except (OSError, ValueError):
            continue  # being written or damaged: not listed
    return sorted(found, key=lambda s: s["name"], reverse=True)


def report_path(folder: Path, name: str, suffix: str) -> Path:
    if not NAME.match(name or "") or not (folder / f"{name}.summary.json").is_file():
        raise NotFound(f"report: no eval report '{name[:80]}'. /evals lists the published ones.")
    return folder / f"{name}{suffix}"


def report_html(folder: Path, name: str) -> str:
    return report_path(folder, name, ".html").read_text(encoding="utf-8")


def scores_cell(summary: dict) -> str:
    lines = []
    for c in summary.get("configs", []):
        scores = ", ".join(
            f"{label} {c['summary'][key]:.3f}" for key, label in SCORES if c.get("summary", {}).get(key) is not None
        )
        lines.append(f"<li><strong>{esc(c['config'])}</strong>: {c.get('passed', 0)} af {c.get('questions', 0)} "
                     f"bestået{'; ' + esc(scores) if scores else ''}</li>")  # fmt: skip
    return f'<ul class="plain">{"".join(lines)}</ul>'


def previous_of(reports: list[dict], i: int) -> dict | None:
    """The next older report of the same question set: the natural baseline."""
    return next((r for r in reports[i + 1 :] if r.get("set") == reports[i].get("set")), None)


def report_rows(reports: list[dict]) -> str:
    rows = []
    for i, r in enumerate(reports):
        before = previous_of(reports, i)
        diff = (
            f'<a href="{esc(query_url("/evals/diff", {"report": r["name"], "baseline": before["name"]}))}">'
            f"Sammenlign med {esc(before['name'])}</a>" if before else '<span class="muted">Ingen ældre kørsel</span>'
        )  # fmt: skip
        rows.append(
            f'<tr><th scope="row"><a href="/evals/{esc(r["name"])}">{esc(r["name"])}</a></th>'
            f"<td>{esc(r.get('set') or '')}</td><td>{esc(r.get('generated_at') or '')}</td>"
            f"<td>{esc(r.get('commit') or '–')}</td><td>{scores_cell(r)}</td><td>{diff}</td></tr>"
        )
    return "".join(rows)


def diff_form(reports: list[dict], report: str = "", baseline: str = "") -> str:
    def options(selected: str) -> str:
        return "".join(
            f'<option value="{esc(r["name"])}"{" selected" if r["name"] == selected else ""}>{esc(r["name"])}</option>'
            for r in reports
        )

    return f"""<form class="filters" method="get" action="/evals/diff">
<label>Rapport<select name="report">{options(report)}</select></label>
<label>Baseline<select name="baseline">{options(baseline or (reports[1]["name"] if len(reports) > 1 else ""))}</select>
</label><button type="submit">Vis forskelle</button></form>"""


def evals_page(reports: list[dict], folder: Path):
    if not reports:
        body = (
            "<p>Ingen evalueringsrapporter endnu. Kør fx <code>planchat eval evals/sets/core.jsonl --config hybrid "
            f"--report rapport.html</code>: rapporten lægges også her ({esc(folder)}).</p>"
        )
        return page("Evalueringer", body, active="/evals", styles=("admin.css",))
    head = (
        '<thead><tr><th scope="col">Rapport</th><th scope="col">Spørgesæt</th><th scope="col">Kørt</th>'
        '<th scope="col">Commit</th><th scope="col">Resultat</th><th scope="col">Forskelle</th></tr></thead>'
    )
    body = (
        f'<p class="muted">{len(reports)} rapporter fra <code>planchat eval --report</code>, nyeste først.</p>'
        f"<h2>Sammenlign to kørsler</h2>{diff_form(reports)}"
        f'<h2>Rapporter</h2><div class="table-wrap"><table>{head}<tbody>{report_rows(reports)}</tbody></table></div>'
    )
    return page("Evalueringer", body, active="/evals", styles=("admin.css",))


def flips(current: dict, baseline: dict) -> list[dict]:
    """Per configuration both runs have: the questions (by id, in both) whose verdict changed."""
    before_configs = {c["config"]: c for c in baseline.get("configs", [])}
    out = []
    for config in current.get("configs", []):
        before = before_configs.get(config["config"])
        if before is None:
            continue
        old = {r["id"]: r for r in before.get("rows", [])}
        for row in sorted(config.get("rows", []), key=lambda r: r["id"]):
            was = old.get(row["id"])
            if was is not None and bool(was.get("passed")) != bool(row.get("passed")):
                out.append({"config": config["config"], "id": row["id"], "question": row.get("question", ""),
                            "before": was, "after": row, "fixed": bool(row.get("passed"))})  # fmt: skip
    return out


def side(row: dict) -> str:
    verdict = (
        '<span class="badge pass">Bestået</span>' if row.get("passed") else '<span class="badge fail">Fejlet</span>'
    )
    missing = ", ".join(row.get("missing") or [])
    detail = f'<p class="muted">Mangler: {esc(missing)}</p>' if missing else ""
    return f'{verdict}{detail}<div class="answer">{esc(row.get("answer", ""))}</div>'


def load_run(folder: Path, name: str) -> dict:
    try:
        return json.loads(report_path(folder, name, ".json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotFound(f"report: the rows of '{name}' cannot be read ({type(exc).__name__}).") from exc


def diff_page(folder: Path, report: str, baseline: str):
    if not report or not baseline:
        raise InvalidRequest("report, baseline: name two published reports (see /evals).")
    current, before = load_run(folder, report), load_run(folder, baseline)
    changed = flips(current, before)
    fixed = sum(1 for f in changed if f["fixed"])
    rows = "".join(
        f'<tr class="{"fixed" if f["fixed"] else "broken"}"><th scope="row">{esc(f["config"])}<br>'
        f"<code>{esc(f['id'])}</code><p>{esc(f['question'])}</p></th>"
        f"<td>{side(f['before'])}</td><td>{side(f['after'])}</td></tr>"
        for f in changed
    )
    table = (
        f'<div class="table-wrap"><table class="diff"><thead><tr><th scope="col">Spørgsmål</th>'
        f'<th scope="col">Før: {esc(baseline)}</th><th scope="col">Nu: {esc(report)}</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
        if changed else "<p>Ingen spørgsmål skiftede mellem bestået og fejlet.</p>"
    )  # fmt: skip
    body = (
        diff_form(list_reports(folder), report, baseline)
        + f'<p id="diff-summary">{len(changed)} spørgsmål skiftede: {fixed} bestås nu, '
        f"{len(changed) - fixed} fejler nu (<code>{esc(baseline)}</code> → <code>{esc(report)}</code>).</p>" + table
    )
    return page("Forskelle mellem to evalueringer", body, active="/evals", styles=("admin.css", "eval-report.css"))
