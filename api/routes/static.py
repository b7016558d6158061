"""The pages and files around the API, none of them in the OpenAPI schema:

GET /                 the Danish demo page: the chat widget, open
GET /demo.css         its style (a file: the page's CSP allows nothing inline)
GET /widget.js        the embeddable chat widget (one <script> tag, on any allowed site)
GET /docs             Swagger UI over /openapi.json, from local assets (the swagger-ui-bundle package):
                      it works offline and loads nothing from elsewhere
GET /docs/assets/...  Swagger UI's script, style and icon, and the script that starts it
GET /openapi.json     the OpenAPI schema
GET /static/{name}    the pages' stylesheet and scripts (api/pages): only plain file names under
                      api/static ending in .css, .js or .svg

/docs and /openapi.json describe every read, so with ``PLANCHAT_PROTECT_READS``
they need a read key or the admin key too (401 without); the demo page, the
widget and the Swagger UI assets (public library code) stay open. There is
no /redoc: no package here vendors ReDoc, and a page that loads it from a
CDN is broken offline.
"""

from __future__ import annotations

import re
from importlib import resources

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from swagger_ui_bundle import swagger_ui_path

from planchat.errors import NotFound

from ..headers import DOCS
from ..security import require_reader

router = APIRouter()

# name -> (file, media type); only these are served (a name is never a path).
DOCS_ASSETS = {
    "swagger-ui-bundle.js": (swagger_ui_path / "swagger-ui-bundle.js", "application/javascript; charset=utf-8"),
    "swagger-ui.css": (swagger_ui_path / "swagger-ui.css", "text/css; charset=utf-8"),
    "favicon-32x32.png": (swagger_ui_path / "favicon-32x32.png", "image/png"),
    "init.js": (resources.files("api") / "static/docs-init.js", "application/javascript; charset=utf-8"),
}


# A file the pages load from /static: a plain name (no path, no dot file), of a type served as text.
STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(css|js|svg)$")
STATIC_TYPES = {
    "css": "text/css; charset=utf-8",
    "js": "application/javascript; charset=utf-8",
    "svg": "image/svg+xml; charset=utf-8",
}


def static_text(name: str) -> str:
    return resources.files("api").joinpath(f"static/{name}").read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def demo_page() -> str:
    return static_text("index.html")


@router.get("/demo.css", include_in_schema=False)
def demo_css() -> Response:
    return Response(static_text("demo.css"), media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "no-cache"})  # fmt: skip


@router.get("/widget.js", include_in_schema=False)
def widget_js() -> Response:
    # Cross-Origin-Resource-Policy: any site may embed the script, even one that requires CORP (COEP).
    return Response(static_text("widget.js"), media_type="application/javascript; charset=utf-8",
                    headers={"Cache-Control": "no-cache", "Cross-Origin-Resource-Policy": "cross-origin"})  # fmt: skip


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False, dependencies=[Depends(require_reader)])
def docs() -> HTMLResponse:
    return HTMLResponse(static_text("docs.html"), headers={"Content-Security-Policy": DOCS})


@router.get("/docs/assets/{name}", include_in_schema=False)
def docs_asset(name: str) -> Response:
    if name not in DOCS_ASSETS:
        raise NotFound(f"/docs/assets/{name[:100]}: no such file; the assets are {', '.join(sorted(DOCS_ASSETS))}.")
    path, media_type = DOCS_ASSETS[name]
    return Response(path.read_bytes(), media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})


@router.get("/openapi.json", include_in_schema=False, dependencies=[Depends(require_reader)])
def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/static/{name}", include_in_schema=False)
def static_file(name: str) -> Response:
    match = STATIC_NAME.match(name)
    path = resources.files("api").joinpath(f"static/{name}") if match else None
    if match is None or path is None or not path.is_file():
        raise NotFound(f"/static/{name[:100]}: no such file.")
    return Response(path.read_text(encoding="utf-8"), media_type=STATIC_TYPES[match.group(1)],
                    headers={"Cache-Control": "no-cache"})  # fmt: skip
