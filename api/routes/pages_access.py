"""The login page for the pages when reads are protected (api/page_access.py).

GET  /adgang?next=   the key form (a password field; the key is posted once, never kept by the page)
POST /adgang         form fields key, next: a valid read or admin key sets the page session cookie and
                     goes back to ``next`` (303); a wrong key is the form again with a 401
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..deps import SettingsDep
from ..page_access import COOKIE, SESSION_SECONDS, safe_next, session_cookie
from ..pages.layout import esc, page
from ..security import key_scope, refuse_cross_site

router = APIRouter(include_in_schema=False)

INTRO = (
    "Denne server kræver en nøgle for at vise planerne. Indtast en læsenøgle eller administratornøglen; "
    "browseren husker adgangen i otte timer (en cookie, der ikke indeholder nøglen)."
)
WRONG_KEY = "Nøglen er ikke gyldig. Tjek den, eller spørg den, der driver planchat."


def login_form(next_path: str, error: str = "", status_code: int = 200) -> HTMLResponse:
    notice = f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
    body = f"""<p>{esc(INTRO)}</p>
{notice}
<form class="filters" method="post" action="/adgang">
<input type="hidden" name="next" value="{esc(next_path)}">
<label>Nøgle <input type="password" name="key" autocomplete="current-password" required></label>
<button type="submit">Fortsæt</button>
</form>"""
    return page("Adgang", body, status_code=status_code)


@router.get("/adgang", response_class=HTMLResponse)
def login_page(settings: SettingsDep, next: str = Query(default="/", max_length=2000)) -> Response:
    if not settings.protect_reads:  # nothing to log in to: the pages are open
        return RedirectResponse(safe_next(next), status_code=303)
    return login_form(safe_next(next))


@router.post("/adgang", response_class=HTMLResponse, dependencies=[Depends(refuse_cross_site)])
def login(
    request: Request,
    settings: SettingsDep,
    key: str = Form(default="", max_length=500),
    next: str = Form(default="/", max_length=2000),
) -> Response:
    target = safe_next(next)
    if not settings.protect_reads:
        return RedirectResponse(target, status_code=303)
    if key_scope(settings, key.strip() or None) is None:
        return login_form(target, WRONG_KEY, status_code=401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE, session_cookie(settings), max_age=SESSION_SECONDS, path="/", httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )  # fmt: skip
    return response
