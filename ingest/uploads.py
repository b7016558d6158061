"""Uploads: the rules that turn (file name, municipality, year, title, kind,
publisher_kind) into a document id and metadata, shared by POST /v1/documents and
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
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING

from planchat.errors import Conflict, InvalidRequest, NotFound
from planchat.municipalities import PUBLISHER_KINDS, current_municipality, near_municipality, without_kommune
from planchat.records import DocumentMeta, PublisherKind

if TYPE_CHECKING:  # annotations only: `planchat documents list` reads managed_by without loading the index
    from .index import IngestReport, PlanIndex

UPLOAD_PREFIX = "upload/"
MIN_YEAR, MAX_YEAR = 1990, 2100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
OTHER_KINDS = "region, national, historical or other"


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


@dataclass(frozen=True)
class Publisher:
    """Who an upload says published it: ``name`` is the document's municipality field (what
    filters, answers and compare rows show), ``publisher`` its full name."""

    name: str
    publisher: str
    kind: PublisherKind


def _indexed(name: str, index: PlanIndex) -> DocumentMeta | None:
    """A document in the index published by ``name`` (its municipality or publisher field, any case)."""
    wanted = {name.casefold(), without_kommune(name).casefold()}
    for meta in index.documents.values():
        if meta.municipality.casefold() in wanted or meta.publisher.casefold() in wanted:
            return meta
    return None


def _not_a_municipality(name: str) -> InvalidRequest:
    near = near_municipality(name)
    if near is not None:
        return InvalidRequest(
            f"municipality: '{name}' is not a Danish municipality. Did you mean '{near}'? "
            f"If '{name}' is another publisher, send publisher_kind ({OTHER_KINDS})."
        )
    return InvalidRequest(
        f"municipality: '{name}' is not a Danish municipality (or a publisher already in the index). "
        "Use its name as in 'Aarhus', 'Ringkøbing-Skjern' or 'København', "
        f"or send publisher_kind ({OTHER_KINDS}) for another publisher."
    )


def resolve_publisher(name: str, publisher_kind: str | None, index: PlanIndex) -> Publisher:
    """The publisher an upload names. A current municipality is validated against the list
    (with or without ``publisher_kind`` "municipality"); a publisher already in the index keeps
    its kind; any other name needs its kind, and one close to a current municipality without a
    kind is taken for a typo (400 with the suggestion)."""
    name = _CONTROL.sub("", name or "").strip()
    if not name:
        raise InvalidRequest("municipality: required, e.g. 'Aarhus'.")
    if len(name) > 80:
        raise InvalidRequest(f"municipality: at most 80 characters; got {len(name)}.")
    wanted = _CONTROL.sub("", publisher_kind or "").strip().lower()
    kind = next((k for k in PUBLISHER_KINDS if k == wanted), None)
    if wanted and kind is None:
        raise InvalidRequest(f"publisher_kind: must be municipality, {OTHER_KINDS}; got '{publisher_kind}'.")
    current, indexed = current_municipality(name), _indexed(name, index)
    if current is not None and kind in (None, "municipality", "historical"):  # a predecessor may share the name
        return Publisher(current, f"{current} Kommune", kind or "municipality")
    if current is not None:
        raise InvalidRequest(
            f"publisher_kind: '{name}' is a current municipality, not a {kind} publisher. "
            "Send publisher_kind 'municipality' or leave it out."
        )
    if indexed is not None and kind in (None, indexed.publisher_kind):
        return Publisher(indexed.municipality, indexed.publisher or indexed.municipality, indexed.publisher_kind)
    if kind in (None, "municipality"):
        raise _not_a_municipality(name)
    if indexed is not None:
        raise InvalidRequest(
            f"publisher_kind: '{indexed.municipality}' is already in the index as a {indexed.publisher_kind} "
            f"publisher; send publisher_kind '{indexed.publisher_kind}' or leave it out."
        )
    if kind == "historical":
        return Publisher(without_kommune(name), f"{without_kommune(name)} Kommune", kind)
    return Publisher(name, name, kind)


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
    publisher_kind: str | None = None,
) -> tuple[str, DocumentMeta]:
    """Validate an upload's fields -> (safe file name, DocumentMeta). ``kind`` is what the
    document is ("municipal plan"); ``publisher_kind`` who published it (PUBLISHER_KINDS)."""
    name = safe_name(filename)
    publisher = resolve_publisher(municipality, publisher_kind, index)
    canonical = publisher.name
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
                        publisher=publisher.publisher, publisher_kind=publisher.kind,
                        source=f"{UPLOAD_PREFIX}{name}")  # fmt: skip
    return name, meta


def delete_uploaded(index: PlanIndex, doc_id: str) -> IngestReport:
    meta = index.documents.get(doc_id)
    if meta is None:
        raise NotFound(f"doc_id: no document '{doc_id}' in the index. GET /v1/documents lists them.")
    if managed_by(index, doc_id) == "corpus":
        raise corpus_conflict(meta, "remove")
    return index.delete(doc_id)
