"""The one layout every page shares: a header with the navigation, a main
column, the stylesheet and the page's own scripts (files under /static,
never inline). Text is escaped here, so a caller passes plain strings for
the title and ready HTML (built with ``esc``) for the body."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse

# (path, label): the product's screens, in the order a user meets them.
NAV = (
    ("/", "Chat"),
    ("/compare", "Sammenlign"),
    ("/targets", "Mål"),
    ("/ministermaal", "Ministermål"),
    ("/documents", "Dokumenter"),
    ("/feedback", "Feedback"),
    ("/evals", "Evalueringer"),
)


def esc(text: object) -> str:
    """Text as HTML text or attribute value (quotes escaped too)."""
    return escape(str(text), quote=True)


def query_url(path: str, params: dict[str, object]) -> str:
    """``path`` with the non-empty ``params`` as its query string (lists repeat the key): shareable filter URLs."""
    pairs = [
        (key, str(item))
        for key, value in params.items()
        for item in (value if isinstance(value, list | tuple) else [value])
        if item not in (None, "")
    ]
    return f"{path}?{urlencode(pairs)}" if pairs else path


def source_url(doc_id: str, start: int | None = None, end: int | None = None) -> str:
    """The source viewer at a cited span: /documents/{doc_id}?start=&end= (the span highlighted)."""
    return query_url(f"/documents/{doc_id}", {"start": start, "end": end})


def page(
    title: str,
    body: str,
    *,
    active: str = "",
    scripts: Sequence[str] = (),
    status_code: int = 200,
    styles: Sequence[str] = (),
) -> HTMLResponse:
    """A whole page: ``body`` is trusted HTML (escape what goes into it with ``esc``); ``scripts`` are
    file names under /static, loaded deferred; ``styles`` further stylesheets there, after pages.css."""
    current = ' aria-current="page"'
    nav = "".join(f'<a href="{path}"{current if path == active else ""}>{esc(label)}</a>' for path, label in NAV)
    tags = "".join(f'<link rel="stylesheet" href="/static/{esc(name)}">' for name in styles)
    tags += "".join(f'<script src="/static/{esc(name)}" defer></script>' for name in scripts)
    html = f"""<!doctype html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} – planchat</title>
<link rel="stylesheet" href="/static/pages.css">
{tags}
</head>
<body>
<a class="skip" href="#main">Spring til indholdet</a>
<header class="site"><span class="brand">planchat</span><nav aria-label="Sider">{nav}</nav></header>
<main id="main">
<h1>{esc(title)}</h1>
{body}
</main>
</body>
</html>
"""
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
