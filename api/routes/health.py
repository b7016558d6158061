"""GET /healthz: liveness and what is loaded (open even when reads are protected)."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import IndexDep, SettingsDep

router = APIRouter()


@router.get("/healthz")
def healthz(index: IndexDep, settings: SettingsDep) -> dict:
    snapshot = index.snapshot
    return {
        "status": "ok",
        "documents": len(snapshot.documents),
        "chunks": len(snapshot.bm25),
        "embedder": index.embedder.name,
        "chroma": "server" if settings.chroma_url else "embedded",
        "retrieval_mode": settings.retrieval_mode,
    }
