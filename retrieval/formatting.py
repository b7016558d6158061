"""Comparisons and targets as text: a terminal table, Markdown, CSV, JSON.

Used by ``planchat compare`` and ``planchat targets``. Every cell that
states something carries its citation; a silent plan reads "Ikke nævnt i
planen". The terminal table wraps to the given width.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Iterable
from dataclasses import asdict

from planchat.records import Citation, Target

from .compare import Comparison
from .target_selection import format_value

DIRECTION_SIGNS = {"at_most": "≤", "at_least": "≥", "equal": "=", "decrease": "↓", "increase": "↑"}
CHANGE_WORDS = {"to": "til", "by": "med"}


def danish_number(value: float) -> str:
    return format_value(value).replace(".", ",")


def target_short(t: Target) -> str:
    """'≤ 228 personer (december 2014)', '↓ til 10 pct (2022)'."""
    sign = DIRECTION_SIGNS.get(t.direction, "")
    change = f" {CHANGE_WORDS[t.change]}" if t.change else ""
    when = t.target_period or (str(t.target_year) if t.target_year else "")
    value = t.value_text if any(ch.isdigit() for ch in t.value_text) else danish_number(t.value)
    return f"{sign}{change} {value} {t.unit}" + (f" ({when})" if when else "")


def citation_ref(c: Citation) -> str:
    where = f"{c.municipality} {c.year}" + (f", s. {c.page_label or c.page}" if c.page else "")
    return f"[{c.n}] {where}" + (f" – {c.section}" if c.section else "")


def comparison_json(comparison: Comparison) -> str:
    return json.dumps(asdict(comparison), ensure_ascii=False, indent=2)


def comparison_csv(comparison: Comparison) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["municipality", "year", "doc_id", "stated", "summary", "targets", "citations"])
    for row in comparison.rows:
        writer.writerow(
            [
                row.municipality,
                row.year,
                row.doc_id,
                "ja" if row.stated else "nej",
                row.summary,
                "; ".join(f"{t.indicator}: {target_short(t)}" for t in row.targets),
                "; ".join(citation_ref(c) for c in row.citations),
            ]
        )
    return out.getvalue()


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def comparison_markdown(comparison: Comparison) -> str:
    lines = [
        f"**{_md(comparison.topic)}**",
        "",
        "| Kommune | År | Uddrag | Mål | Kilder |",
        "|---|---|---|---|---|",
    ]
    for row in comparison.rows:
        targets = "<br>".join(_md(f"{t.indicator}: {target_short(t)}") for t in row.targets) or "–"
        sources = "<br>".join(_md(citation_ref(c)) for c in row.citations) or "–"
        summary = _md(row.summary) if row.stated else f"*{_md(row.summary)}*"
        lines.append(f"| {_md(row.municipality)} | {row.year} | {summary} | {targets} | {sources} |")
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=False) or [""]


def comparison_table(comparison: Comparison, width: int = 100) -> str:
    """A table that fits ``width`` columns: plan | what it says | its targets."""
    width = max(width, 60)
    left = min(max(len(f"{r.municipality} {r.year}") for r in comparison.rows) if comparison.rows else 10, 24)
    right = max(18, min(30, width // 4))
    middle = width - left - right - 10
    rule = f"+-{'-' * left}-+-{'-' * middle}-+-{'-' * right}-+"
    out = [comparison.topic, rule, f"| {'Plan':<{left}} | {'Uddrag':<{middle}} | {'Mål':<{right}} |", rule]
    for row in comparison.rows:
        name = _wrap(f"{row.municipality} {row.year}", left)
        said = _wrap(row.summary, middle)
        targets = [line for t in row.targets for line in _wrap(f"{t.indicator}: {target_short(t)}", right)] or ["–"]
        refs = [line for c in row.citations for line in _wrap(citation_ref(c), middle)]
        body = said + refs
        for i in range(max(len(name), len(body), len(targets))):
            a = name[i] if i < len(name) else ""
            b = body[i] if i < len(body) else ""
            c = targets[i] if i < len(targets) else ""
            out.append(f"| {a:<{left}} | {b:<{middle}} | {c:<{right}} |")
        out.append(rule)
    return "\n".join(out) + "\n"


def targets_table(targets: Iterable[Target], width: int = 100) -> str:
    lines = []
    for t in targets:
        where = f"{t.municipality} {t.plan_year}" + (f", s. {t.page}" if t.page else "")
        lines.append(f"{where}: {t.indicator}: {target_short(t)}")
        lines.extend("    " + line for line in _wrap(f"«{t.quote}»", max(40, width - 4)))
    return "\n".join(lines) + ("\n" if lines else "")
