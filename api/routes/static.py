"""GET / (the Danish demo page: the chat widget, open) and GET /widget.js
(the embeddable chat widget: one <script> tag). Not in the OpenAPI schema."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def demo_page() -> str:
    return resources.files("api").joinpath("static/index.html").read_text(encoding="utf-8")


@router.get("/widget.js", include_in_schema=False)
def widget_js() -> Response:
    return Response(
        resources.files("api").joinpath("static/widget.js").read_text(encoding="utf-8"),
        media_type="application/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )
