"""The eval report: a runner payload (``--json``) -> one self-contained HTML page.

``render_report`` is pure and deterministic: the same payload gives the same
bytes. The page loads nothing (no scripts, fonts, images or stylesheets from
anywhere); charts are inline SVG built here. Every string taken from the
payload is escaped, because answers and quotes are document text and must
never become markup.
"""

from __future__ import annotations

from html import escape
from importlib import resources

from evals.runner import COLUMNS

# Fixed palette (Okabe-Ito, readable for colour-blind readers), by configuration order.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")
SLOWEST = 5

# The report's rules live in one file: inline in the stand-alone page, linked when /evals serves it.
REPORT_CSS = "eval-report.css"
STANDALONE_CSS = "body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:70rem}\n"


def report_css() -> str:
    return resources.files("api").joinpath(f"static/{REPORT_CSS}").read_text(encoding="utf-8")


def fmt(key: str, value) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if key.endswith("_ms") else f"{value:.3f}"


def is_failing(row: dict) -> bool:
    wrong_facts = bool(row.get("facts_expected")) and not row.get("all_facts")
    return wrong_facts or bool(row.get("expect_abstain")) != bool(row.get("abstained"))


def bar_chart(chart_id: str, title: str, desc: str, groups: list[str], configs: list[str], value) -> str:
    """A grouped bar chart, y from 0 to 1: one group per entry of ``groups``,
    one bar per configuration; ``value(group, config)`` may be None (no bar)."""
    bar, gap, left, top, height = 18, 24, 44, 16, 200
    group_w = max(bar * len(configs) + gap, 84)  # room for a tag name like "paraphrase"
    width = left + group_w * len(groups) + 20
    legend_y = top + height + 40
    total_h = legend_y + 18 * len(configs) + 8
    out = [
        f'<svg width="{width}" height="{total_h}" viewBox="0 0 {width} {total_h}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + height * (1 - tick)
        out.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:.2f}</text>')
    for g, group in enumerate(groups):
        x0 = left + g * group_w + (group_w - bar * len(configs)) / 2
        for c, config in enumerate(configs):
            v = value(group, config)
            x = x0 + c * bar
            if v is None:
                out.append(f'<text x="{x + bar / 2:.1f}" y="{top + height - 4}" text-anchor="middle">–</text>')
                continue
            h = height * max(0.0, min(1.0, v))
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{top + height - h:.1f}" width="{bar - 2}" height="{h:.1f}" '
                f'fill="{PALETTE[c % len(PALETTE)]}">'
                f"<title>{escape(config)} · {escape(group)}: {v:.3f}</title></rect>"
            )
        label_x = x0 + bar * len(configs) / 2
        out.append(f'<text x="{label_x:.1f}" y="{top + height + 16}" text-anchor="middle">{escape(group)}</text>')
    for c, config in enumerate(configs):
        y = legend_y + 18 * c
        colour = PALETTE[c % len(PALETTE)]
        out.append(f'<rect class="swatch" x="{left}" y="{y}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{left + 18}" y="{y + 10}">{escape(config)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def charts(configs: list[dict]) -> str:
    names = [c["config"] for c in configs]
    tagged = {c["config"]: c.get("by_tag", {}) for c in configs}
    tags = sorted({t for scores in tagged.values() for t in scores})

    def score(key: str):
        return lambda tag, name: tagged[name].get(tag, {}).get(key)

    # Tags without answerable questions (e.g. "abstain") have no fact_accuracy anywhere: leave them out.
    fact_tags = [t for t in tags if any(score("fact_accuracy")(t, n) is not None for n in names)]
    parts = ["<h2>Scores by tag</h2>", "<h3>fact_accuracy by tag</h3>"]
    parts.append(bar_chart(
        "facts", "fact_accuracy by tag and configuration",
        "Share of answerable questions whose expected facts all appear in the answer, "
        "per tag, one bar per configuration.",
        fact_tags, names, score("fact_accuracy"),
    ))  # fmt: skip
    if "abstain" in tags:
        parts.append("<h3>abstention_recall on abstain</h3>")
        parts.append(bar_chart(
            "abstain", "abstention_recall on the abstain tag",
            "Share of unanswerable questions the system declined to answer, one bar per configuration.",
            ["abstain"], names, score("abstention_recall"),
        ))  # fmt: skip
    return "\n".join(parts)


def summary_table(configs: list[dict]) -> str:
    head = "".join(f'<th title="{escape(key)}">{escape(label)}</th>' for key, label in COLUMNS)
    body = []
    for c in configs:
        s = c.get("summary", {})
        cells = "".join(f'<td class="num">{fmt(key, s.get(key))}</td>' for key, _ in COLUMNS)
        body.append(f"<tr><th>{escape(c['config'])}</th>{cells}</tr>")
    rows = "\n".join(body)
    head = f"<thead><tr><th>config</th>{head}</tr></thead>"
    return f"<h2>Summary</h2>\n<table>\n{head}\n<tbody>\n{rows}\n</tbody>\n</table>"


def citation_list(citations: list[dict]) -> str:
    if not citations:
        return "<p>No citations.</p>"
    items = []
    for cit in citations:
        where = ", ".join(
            f"{key} {escape(str(cit[key]))}"
            for key in ("municipality", "year", "page", "section", "role")
            if cit.get(key) is not None
        )
        number = escape(str(cit.get("n", "?")))
        items.append(f"<li>[{number}] {where}<blockquote>{escape(cit.get('quote', ''))}</blockquote></li>")
    return f"<details><summary>{len(citations)} citations</summary><ol>" + "".join(items) + "</ol></details>"


def failing_section(config: dict) -> str:
    rows = config.get("rows", [])
    failing = sorted((r for r in rows if is_failing(r)), key=lambda r: r["id"])
    parts = [f"<h3>Failing questions</h3>\n<p>{len(failing)} of {len(rows)} questions failing</p>"]
    for r in failing:
        missing = ", ".join(escape(m) for m in r.get("missing", [])) or "–"
        abstained, expected = ("yes" if r.get(k) else "no" for k in ("abstained", "expect_abstain"))
        parts.append(
            f'<section class="failing" id="{escape(config["config"])}-{escape(r["id"])}">'
            f"<h4>{escape(r['id'])}</h4>"
            f"<p>{escape(r.get('question', ''))}</p>"
            f'<p class="meta">tags: {escape(", ".join(r.get("tags", [])))} · '
            f"abstained: {abstained} (expected: {expected}) · "
            f"facts {r.get('facts_found', 0)}/{r.get('facts_expected', 0)} · missing: {missing}</p>"
            f'<div class="answer">{escape(r.get("answer", ""))}</div>'
            f"{citation_list(r.get('citations', []))}</section>"
        )
    return "\n".join(parts)


def slowest_table(config: dict) -> str:
    rows = sorted(config.get("rows", []), key=lambda r: (-r["latency_ms"], r["id"]))[:SLOWEST]
    body = "".join(
        f'<tr><td>{escape(r["id"])}</td><td class="num">{fmt("latency_ms", r["latency_ms"])}</td></tr>' for r in rows
    )
    head = "<thead><tr><th>id</th><th>latency ms</th></tr></thead>"
    return f"<h3>Slowest {len(rows)} questions</h3>\n<table>{head}<tbody>{body}</tbody></table>"


def meta_list(payload: dict) -> str:
    meta = [
        f"<dt>{label}</dt><dd>{escape(str(payload[key]))}</dd>"
        for key, label in (("against", "run"), ("generated_at", "generated"), ("commit", "commit"))
        if payload.get(key) is not None
    ]
    return f'<dl class="meta">{"".join(meta)}</dl>' if meta else ""


def report_title(payload: dict) -> str:
    """The title as plain text (escape it where it goes into HTML)."""
    return f"planchat eval: {payload.get('set', '')}"


def report_sections(payload: dict) -> str:
    """Everything below the heading: summary, charts, failing and slowest questions per configuration."""
    configs = payload.get("configs", [])
    sections = [
        f"<h2>Configuration {escape(c['config'])}</h2>\n{failing_section(c)}\n{slowest_table(c)}" for c in configs
    ]
    return "\n".join([summary_table(configs), charts(configs), *sections])


def render_report(payload: dict) -> str:
    """The stand-alone page (``--report FILE``): opens from disk, loads nothing, its style inline."""
    title = escape(report_title(payload))
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="da">',
        f'<head>\n<meta charset="utf-8">\n<title>{title}</title>\n<style>\n{STANDALONE_CSS}{report_css()}</style>\n</head>',
        "<body>",
        f"<header><h1>{title}</h1>{meta_list(payload)}</header>",
        report_sections(payload),
        "</body>",
        "</html>",
        "",
    ])  # fmt: skip
