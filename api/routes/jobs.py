"""Background ingest jobs (api/jobs.py): where an upload sent with ``wait=false`` is.

GET /v1/jobs/{job_id}   status, stage, pages and chunks done, the error or the stored document  (admin key)

A job is a write's job, so reading it needs the admin key too.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ..admin_schemas import JobOut
from ..deps import JobsDep
from ..schemas import ErrorResponse, Responses
from ..security import require_write

router = APIRouter()

ERRORS: Responses = {status: {"model": ErrorResponse} for status in (401, 403, 404)}


@router.get("/v1/jobs/{job_id}", response_model=JobOut, dependencies=[Depends(require_write)], responses=ERRORS)
def show_job(job_id: str, jobs: JobsDep) -> dict:
    """An ingest job's state; poll it until ``status`` is done or failed."""
    return jobs.get(job_id)
