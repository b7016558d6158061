"""Makes the Word and HTML test files in tests/fixtures/documents/ with real tools
(the files are committed; run this only to remake them: `make fixtures`).

- ``jammerbugt-2014.html``: the seed plan corpus/jammerbugt-2014.txt as a
  municipality's web page: its markdown rendered by markdown-it-py (its tab
  rows as a table), inside the markup such sites have (a cookie banner, a
  skip link, the site header and menu, a breadcrumb, a sidebar, the footer,
  scripts and styles).
- ``libreoffice-plan.docx``, ``.odt``, ``.doc``, ``.rtf``: LibreOffice's
  exports of ``libreoffice-plan.fodt`` (a plan written in LibreOffice's own
  XML: headings, a bulleted and a numbered list, a table, a text frame, a
  header and a footer), by Debian's libreoffice-writer-nogui (`make
  libreoffice`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "tests" / "fixtures" / "documents"

PAGE = """<!DOCTYPE html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Beskæftigelsesplan 2014 | Jammerbugt Kommune</title>
<link rel="stylesheet" href="/dist/css/main.min.css">
<style>.cookie-banner{{position:fixed;bottom:0}} .visually-hidden{{position:absolute}}</style>
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"pageType": "article"}});</script>
<script async src="/dist/js/analytics.js"></script>
</head>
<body class="page-article has-cookie-banner">
<div id="CybotCookiebotDialog" class="cookie-banner" role="dialog" aria-label="Cookies">
  <h2>Jammerbugt Kommune bruger cookies</h2>
  <p>Vi bruger cookies til at forbedre hjemmesiden og til statistik. Læs mere i vores cookiepolitik.</p>
  <button type="button">Tillad alle</button> <button type="button">Kun nødvendige</button>
</div>
<a class="skip-link visually-hidden" href="#indhold">Gå til indhold</a>
<header class="site-header">
  <a class="logo" href="/"><img src="/logo.svg" alt="Jammerbugt Kommune"></a>
  <nav class="main-menu" aria-label="Hovedmenu">
    <ul>
      <li><a href="/borger">Borger</a></li>
      <li><a href="/erhverv">Erhverv</a></li>
      <li><a href="/politik">Politik og indflydelse</a></li>
      <li><a href="/job">Job og beskæftigelse</a></li>
    </ul>
  </nav>
  <form class="search" role="search" action="/soeg"><label for="q">Søg</label><input id="q" name="q"></form>
</header>
<main id="indhold">
  <nav class="breadcrumb" aria-label="Brødkrumme">
    <ol><li><a href="/">Forside</a></li><li><a href="/politik">Politik</a></li><li>Beskæftigelsesplan 2014</li></ol>
  </nav>
  <article class="article">
{content}
    <footer class="article-footer"><p>Sidst opdateret 12. december 2013</p></footer>
  </article>
  <aside class="sidebar">
    <h2>Kontakt</h2>
    <p>Jobcenter Jammerbugt<br>Tlf. 72 57 77 77</p>
    <h2>Relaterede sider</h2>
    <ul><li><a href="/job/ledig">Ledig</a></li><li><a href="/job/virksomhed">Virksomheder</a></li></ul>
  </aside>
</main>
<footer class="site-footer">
  <p>Jammerbugt Kommune · Toftevej 43 · 9440 Aabybro · Tlf. 72 57 77 77</p>
  <ul><li><a href="/cookiepolitik">Cookiepolitik</a></li><li><a href="/tilgaengelighed">Tilgængelighedserklæring</a></li></ul>
</footer>
<script src="/dist/js/main.min.js"></script>
</body>
</html>
"""


def _tab_rows_as_tables(text: str) -> str:
    """Runs of tab-separated lines as GFM tables (a web page has a <table> where the PDF had rows)."""
    out: list[str] = []
    rows: list[list[str]] = []

    def close() -> None:
        if rows:
            width = max(len(row) for row in rows)
            cells = [[c.strip().replace("|", "\\|") for c in row] + [""] * (width - len(row)) for row in rows]
            out.extend(["", "| " + " | ".join(cells[0]) + " |", "|" + "---|" * width])
            out.extend("| " + " | ".join(row) + " |" for row in cells[1:])
            out.append("")
            rows.clear()

    for line in text.split("\n"):
        if "\t" in line:
            rows.append(line.split("\t"))
        else:
            close()
            out.append(line)
    close()
    return "\n".join(out)


def seed_page() -> str:
    from markdown_it import MarkdownIt

    text = (REPO / "corpus" / "jammerbugt-2014.txt").read_text(encoding="utf-8")
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    body = md.render(_tab_rows_as_tables(text))
    content = "\n".join(f"    {line}" if line else "" for line in body.strip().split("\n"))
    return PAGE.format(content=content)


def libreoffice_exports() -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        sys.exit("soffice not found: run `make libreoffice` first (Debian's libreoffice-writer-nogui).")
    source = OUT / "libreoffice-plan.fodt"
    with tempfile.TemporaryDirectory() as profile:
        for fmt in ("docx", "odt", "doc", "rtf"):
            subprocess.run(
                [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                 "--outdir", str(OUT), str(source)],
                check=True, capture_output=True, timeout=120,
            )  # fmt: skip


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page = seed_page()
    (OUT / "jammerbugt-2014.html").write_text(page, encoding="utf-8")
    libreoffice_exports()
    for path in sorted(OUT.iterdir()):
        print(f"{path.relative_to(REPO)}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
