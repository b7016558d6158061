"""Uploads: the rules that turn (file name, municipality, year, title, kind)
into a document id and metadata, shared by POST /v1/documents and
``planchat ingest FILE``.

- One document per municipality and year: a new file for a municipality and
  year that already has an uploaded document replaces it under the same id
  (PlanIndex.ingest_bytes swaps it in atomically); identical content is a
  no-op.
- Documents from a corpus folder's manifest.json belong to the corpus
  (the document store records it, whatever the folder is called): replacing
  or deleting one is a Conflict that says to change the folder instead (the
  next sync would undo it otherwise).
- The file name is only a label: reduced to a safe base name, never used
  as a path.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING

from planchat.errors import Conflict, InvalidRequest, NotFound
from planchat.municipalities import national_names
from planchat.records import DocumentMeta

if TYPE_CHECKING:  # annotations only: `planchat documents list` reads managed_by without loading the index
    from .index import IngestReport, PlanIndex

UPLOAD_PREFIX = "upload/"
MIN_YEAR, MAX_YEAR = 1990, 2100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def managed_by(index: PlanIndex, doc_id: str) -> str:
    """ "corpus" or "upload", as the document store recorded it at ingest."""
    record = index.docstore.document(doc_id)
    return record.managed_by if record is not None else "upload"


def safe_name(filename: str | None) -> str:
    """A label for the upload: the base name (of a Windows or POSIX path),
    without control characters, at most 120 characters."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    name = _CONTROL.sub("", unicodedata.normalize("NFC", name)).strip().lstrip(".")
    if not name:
        raise InvalidRequest(
            "file: the upload has no file name. Send it as a file with a name ending .pdf, .docx, .html, .txt or .md."
        )
    if len(name) > 120:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[: 120 - len(suffix) - 1] + dot + suffix) if dot and len(suffix) <= 10 else name[:120]
    return name


def canonical_municipality(name: str, index: PlanIndex) -> str:
    name = _CONTROL.sub("", name or "").strip()
    if not name:
        raise InvalidRequest("municipality: required, e.g. 'Aarhus'.")
    if len(name) > 80:
        raise InvalidRequest(f"municipality: at most 80 characters; got {len(name)}.")
    stripped = re.sub(r"(?i)\s+kommune$", "", name)
    known = {**{k.casefold(): v for k, v in national_names().items()},
             **{m.municipality.casefold(): m.municipality for m in index.documents.values()}}  # fmt: skip
    canonical = known.get(stripped.casefold()) or known.get(name.casefold())
    if canonical is None:
        raise InvalidRequest(
            f"municipality: '{name}' is not a Danish municipality (or a publisher already in the index). "
            "Use its name as in 'Aarhus', 'Ringkøbing-Skjern' or 'København'."
        )
    return canonical


def slug(text: str) -> str:
    text = text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "document"


def target_doc_id(index: PlanIndex, municipality: str, year: int) -> tuple[str, DocumentMeta | None]:
    """The id an upload for (municipality, year) gets: that of the document it
    replaces, else a new one."""
    for meta in index.documents.values():
        if meta.municipality == municipality and meta.year == year:
            return meta.doc_id, meta
    doc_id, n = f"{slug(municipality)}-{year}", 2
    while doc_id in index.documents:
        doc_id, n = f"{slug(municipality)}-{year}-{n}", n + 1
    return doc_id, None


def corpus_conflict(meta: DocumentMeta, action: str) -> Conflict:
    folder = meta.source.split("/", 1)[0] if "/" in meta.source else "corpus"
    return Conflict(
        f"{meta.doc_id}: {meta.municipality} {meta.year} comes from {meta.source} ({folder}/manifest.json); "
        f"{action} it there and run `planchat ingest`, or it would come back on the next sync."
    )


def upload_meta(
    index: PlanIndex,
    filename: str | None,
    municipality: str,
    year: int,
    title: str | None = None,
    kind: str | None = None,
    doc_id: str | None = None,
) -> tuple[str, DocumentMeta]:
    """Validate an upload's fields -> (safe file name, DocumentMeta)."""
    name = safe_name(filename)
    canonical = canonical_municipality(municipality, index)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidRequest(f"year: must be between {MIN_YEAR} and {MAX_YEAR}; got {year}.")
    title = _CONTROL.sub(" ", title or "").strip() or f"Beskæftigelsesplan {year}"
    kind = _CONTROL.sub(" ", kind or "").strip() or "municipal plan"
    if len(title) > 300:
        raise InvalidRequest(f"title: at most 300 characters; got {len(title)}.")
    if len(kind) > 60:
        raise InvalidRequest(f"kind: at most 60 characters; got {len(kind)}.")
    target, replaces = target_doc_id(index, canonical, year)
    if doc_id:
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,99}", doc_id):
            raise InvalidRequest(f"id: '{doc_id}' is not a document id (lower-case letters, digits, '.', '_', '-').")
        target, replaces = doc_id, index.documents.get(doc_id)
    if replaces is not None and managed_by(index, replaces.doc_id) == "corpus":
        raise corpus_conflict(replaces, "replace")
    meta = DocumentMeta(doc_id=target, municipality=canonical, year=year, title=title, kind=kind,
                        publisher=f"{canonical} Kommune", source=f"{UPLOAD_PREFIX}{name}")  # fmt: skip
    return name, meta


def delete_uploaded(index: PlanIndex, doc_id: str) -> IngestReport:
    meta = index.documents.get(doc_id)
    if meta is None:
        raise NotFound(f"doc_id: no document '{doc_id}' in the index. GET /v1/documents lists them.")
    if managed_by(index, doc_id) == "corpus":
        raise corpus_conflict(meta, "remove")
    return index.delete(doc_id)
