"""/documents: the document admin page. Every document with its ingest
report (pages, empty pages, chunks, targets, warnings, who manages it),
filtered by ``q`` and paged in the query string; an upload form and delete
buttons that work with the admin key (api/static/admin-key.js keeps it in
the tab's sessionStorage and sends it as a header, never in a URL), and a
progress bar over the upload's background job (api/static/documents.js)."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.stores.docstore import DocumentRecord
from ingest.uploads import MAX_YEAR, MIN_YEAR
from planchat.municipalities import ALL_MUNICIPALITIES

from .layout import esc, page, query_url

PER_PAGE = 100


@dataclass(frozen=True)
class DocumentRow:
    record: DocumentRecord
    targets: int


def key_field() -> str:
    """The admin key's field (api/static/admin-key.js): kept in this tab's sessionStorage only."""
    return """<section class="admin-key" aria-labelledby="admin-key-heading">
<h2 id="admin-key-heading">Admin-nøgle</h2>
<p class="muted" id="admin-key-help">Upload, sletning og feedback kræver serverens admin-nøgle (PLANCHAT_API_KEY).
Den gemmes kun i denne fane (sessionStorage), sendes som <code>Authorization</code>-header og kommer aldrig i en URL.</p>
<div class="key-row">
<label for="admin-key">Nøgle</label>
<input type="password" id="admin-key" autocomplete="off" spellcheck="false" aria-describedby="admin-key-help">
<button type="button" id="admin-key-save">Husk i denne fane</button>
<button type="button" id="admin-key-forget" class="secondary">Glem nøglen</button>
</div>
<p id="admin-key-state" class="muted" role="status">Ingen nøgle gemt i denne fane.</p>
</section>"""


def upload_form() -> str:
    municipalities = "".join(f'<option value="{esc(name)}"></option>' for name in sorted(ALL_MUNICIPALITIES))
    return f"""<section aria-labelledby="upload-heading">
<h2 id="upload-heading">Upload en plan</h2>
<form id="upload-form" class="filters" method="post" action="/v1/documents" enctype="multipart/form-data">
<label>Fil (PDF, Word .docx, HTML, .txt eller .md)<input type="file" name="file" id="upload-file" required></label>
<label>Kommune eller udgiver<input name="municipality" id="upload-municipality" required list="municipality-names"
 autocomplete="off"></label>
<label>Udgivertype<select name="publisher_kind" id="upload-publisher-kind">
<option value="">Kommune (standard)</option><option value="region">Region</option>
<option value="national">Statslig myndighed</option><option value="historical">Kommune før 2007</option>
<option value="other">Anden</option></select></label>
<datalist id="municipality-names">{municipalities}</datalist>
<label>År<input type="number" name="year" id="upload-year" required min="{MIN_YEAR}" max="{MAX_YEAR}"
 inputmode="numeric"></label>
<label>Titel (valgfri)<input name="title" id="upload-title" placeholder="Beskæftigelsesplan 2025"></label>
<button type="submit" id="upload-submit">Upload</button>
</form>
<p class="muted">En kommune har én plan pr. år: en ny fil til samme kommune og år erstatter den gamle.
Planen indlæses i baggrunden; siden viser hvor langt den er.</p>
<div id="upload-job" class="job" hidden>
<label for="upload-progress" id="upload-stage">I kø</label>
<progress id="upload-progress" max="100" value="0" aria-describedby="upload-status"></progress>
<p id="upload-status" role="status" aria-live="polite"></p>
</div>
</section>"""


def report_cells(row: DocumentRow) -> str:
    record, report = row.record, row.record.report or {}
    pages = "–" if record.pages is None else str(record.pages)
    empty = report.get("empty_pages", 0) if record.pages is not None else "–"
    warnings = report.get("warnings") or []
    warning_cell = (
        '<ul class="warnings">' + "".join(f"<li>{esc(w)}</li>" for w in warnings) + "</ul>"
        if warnings else '<span class="muted">Ingen</span>'
    )  # fmt: skip
    return (
        f'<td class="num">{pages}</td><td class="num">{empty}</td><td class="num">{record.chunk_count}</td>'
        f'<td class="num">{row.targets}</td><td>{warning_cell}</td>'
    )


def document_row(row: DocumentRow) -> str:
    meta, managed = row.record.meta, row.record.managed_by
    if managed == "corpus":
        manager = '<span class="badge">Korpus</span>'
        action = '<span class="muted">Ændres i korpusmappen</span>'
    else:
        manager = '<span class="badge upload">Upload</span>'
        action = (
            f'<button type="button" class="secondary delete" data-delete-doc="{esc(meta.doc_id)}" '
            f'data-title="{esc(meta.title)}" aria-label="Slet {esc(meta.title)} ({esc(meta.municipality)} '
            f'{meta.year})">Slet</button>'
        )
    return (
        f'<tr data-doc-id="{esc(meta.doc_id)}"><th scope="row"><a href="/documents/{esc(meta.doc_id)}">'
        f"{esc(meta.title)}</a></th><td>{esc(meta.municipality)}</td><td>{meta.year}</td>"
        f"{report_cells(row)}<td>{manager}</td><td>{action}</td></tr>"
    )


def matches(record: DocumentRecord, q: str) -> bool:
    meta = record.meta
    return q.casefold() in f"{meta.title} {meta.municipality} {meta.year} {meta.doc_id}".casefold()


def pager(q: str, page_no: int, pages: int) -> str:
    if pages <= 1:
        return ""
    links = []
    if page_no > 1:
        links.append(f'<a href="{esc(query_url("/documents", {"q": q, "page": page_no - 1}))}" rel="prev">Forrige</a>')
    links.append(f"<span>Side {page_no} af {pages}</span>")
    if page_no < pages:
        links.append(f'<a href="{esc(query_url("/documents", {"q": q, "page": page_no + 1}))}" rel="next">Næste</a>')
    return f'<nav class="pager" aria-label="Sider i listen">{" ".join(links)}</nav>'


def document_table(rows: list[DocumentRow], q: str, page_no: int) -> str:
    shown = [r for r in rows if matches(r.record, q)] if q else rows
    pages = max(1, -(-len(shown) // PER_PAGE))
    page_no = min(max(1, page_no), pages)
    visible = shown[(page_no - 1) * PER_PAGE : page_no * PER_PAGE]
    head = (
        '<thead><tr><th scope="col">Titel</th><th scope="col">Kommune</th><th scope="col">År</th>'
        '<th scope="col">Sider</th><th scope="col">Tomme sider</th><th scope="col">Tekststykker</th>'
        '<th scope="col">Mål</th><th scope="col">Advarsler</th><th scope="col">Styres af</th>'
        '<th scope="col">Handling</th></tr></thead>'
    )
    body = "".join(document_row(r) for r in visible) or '<tr><td colspan="10">Ingen dokumenter.</td></tr>'
    count = f"{len(shown)} af {len(rows)} dokumenter" if q else f"{len(rows)} dokumenter"
    return f"""<section id="documents" aria-labelledby="documents-heading">
<h2 id="documents-heading">Dokumenter i indekset</h2>
<form class="filters" method="get" action="/documents" role="search">
<label>Søg i titel, kommune eller år<input type="search" name="q" value="{esc(q)}"></label>
<button type="submit">Søg</button>
</form>
<p class="muted" id="documents-count">{count}</p>
<p id="documents-message" role="status"></p>
<div class="table-wrap"><table id="documents-table">
<caption class="sr-only">Dokumenterne og deres indlæsningsrapport</caption>
{head}<tbody>{body}</tbody></table></div>
{pager(q, page_no, pages)}
</section>"""


def documents_page(rows: list[DocumentRow], q: str = "", page_no: int = 1):
    body = key_field() + upload_form() + document_table(rows, q.strip(), page_no)
    return page("Dokumenter", body, active="/documents", scripts=("admin-key.js", "documents.js"),
                styles=("admin.css",))  # fmt: skip
