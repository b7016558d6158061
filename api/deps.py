"""FastAPI dependencies, as Annotated aliases, all in one module."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ingest.index import PlanIndex
from planchat.config import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_index(request: Request) -> PlanIndex:
    return request.app.state.index


SettingsDep = Annotated[Settings, Depends(get_settings)]
IndexDep = Annotated[PlanIndex, Depends(get_index)]
