"""The corpus manifest: which files a corpus holds and what each one is.

``corpus/manifest.json`` lists documents as
``{"id", "file", "municipality", "year", "years"?, "title", "kind"?, "publisher"?, "publisher_kind"?,
"aliases"?}``. ``publisher_kind`` (municipality, region, national, historical, other; default
municipality) says who published it; the manifest's names are not checked against the list of 98.
Validation errors name the entry and the field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from planchat.errors import ManifestError
from planchat.records import DocumentMeta, PublisherKind

MANIFEST_NAME = "manifest.json"
DOC_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


class ManifestEntry(BaseModel):
    id: str
    file: str
    municipality: str = Field(min_length=1, max_length=200)
    year: int = Field(ge=1990, le=2100)
    years: list[int] = Field(default_factory=list)
    title: str = Field(min_length=1, max_length=500)
    kind: str = "municipal plan"
    publisher: str = ""
    publisher_kind: PublisherKind = "municipality"
    aliases: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not DOC_ID.match(value):
            raise ValueError(
                "id must be 1-100 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit"
            )
        return value

    @field_validator("file")
    @classmethod
    def _file(cls, value: str) -> str:
        path = Path(value)
        if path.is_absolute() or ".." in path.parts:
            raise ValueError("file must be a path inside the corpus directory")
        return value


class Manifest(BaseModel):
    documents: list[ManifestEntry]


def read_manifest(corpus_dir: Path) -> list[tuple[DocumentMeta, Path]]:
    """(meta, file path) for every document the manifest lists."""
    path = corpus_dir / MANIFEST_NAME
    if not path.exists():
        raise ManifestError(
            f"{corpus_dir} has no {MANIFEST_NAME}. Add one listing each file with its id, municipality, year and title."
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ManifestError(
                f'{path} must be a JSON object with a "documents" list, e.g. '
                '{"documents": [{"id": ..., "file": ..., "municipality": ..., "year": ..., "title": ...}]}.'
            )
        manifest = Manifest.model_validate(raw)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{path} is not valid JSON: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ManifestError(f"{path}: field '{where}': {first['msg']}") from exc
    seen: set[str] = set()
    out = []
    for entry in manifest.documents:
        if entry.id in seen:
            raise ManifestError(f"{path}: document id '{entry.id}' appears twice; ids must be unique.")
        seen.add(entry.id)
        file_path = corpus_dir / entry.file
        if not file_path.is_file():
            raise ManifestError(f"{path}: document '{entry.id}' names file '{entry.file}', which does not exist.")
        meta = DocumentMeta(
            doc_id=entry.id,
            municipality=entry.municipality,
            year=entry.year,
            years=tuple(sorted(set(entry.years) | {entry.year})),
            title=entry.title,
            kind=entry.kind,
            publisher=entry.publisher,
            publisher_kind=entry.publisher_kind,
            source=entry.file,
            aliases=tuple(entry.aliases),
        )
        out.append((meta, file_path))
    return out
