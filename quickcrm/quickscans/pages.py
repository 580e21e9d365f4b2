"""The page side that both respondent flows share (the invited client's /q/ pages in
``quickcrm.web.pages``, the landing visitor's /l/ pages in ``quickcrm.landing.web``):
the app state and client address of a request, rendering, the one 404, 403 and 429
pages, finding the respondent, reading a POST, the overview and section steps, and the
reply to the pages' script that saves one answer at a time.

The web app (``quickcrm.web.app``) puts its state on ``request.app.state.web``: the
runtime, the HTML templates, the guessing limiter, the thread pool (``in_thread``),
the write lock (``writing``) and ``deliver_soon``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from quickcrm.quickscans.guards import clean_text, cross_site
from quickcrm.quickscans.views import SectionView, resume_step

MAX_FORM_FIELDS = 400
T = TypeVar("T")
FINISHED = "Deze QuickScan is al afgerond."


def state(request: Request) -> Any:
    return request.app.state.web


def client_address(request: Request) -> str:
    return request.client.host if request.client else "-"


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    web = state(request)
    html = web.templates.get_template(template).render(
        firm=web.firm, brand=web.brand, privacy_href=web.extra.get("privacy_href", "/privacy"),
        **context)
    return HTMLResponse(html, status_code=status)


def not_found(request: Request, *, guess: bool = True) -> HTMLResponse:
    """The one 404 page; ``guess``: the miss counts against the caller's address in the
    guessing limiter (a wrong token does; favicon.ico and other paths browsers fetch on
    their own do not)."""
    if guess:
        state(request).limiter.failed(client_address(request))
    return render(request, "notfound.html", 404, title="Pagina niet gevonden")


def too_many(request: Request) -> HTMLResponse:
    return render(request, "message.html", 429, title="Even geduld",
                  text="Er zijn te veel verzoeken gedaan vanaf uw verbinding. "
                       "Probeer het later opnieuw.")


def blocked(request: Request) -> bool:
    """True when this address made too many wrong guesses lately."""
    return bool(state(request).limiter.blocked(client_address(request)))


def miss(request: Request) -> HTMLResponse:
    """The answer to a token (or page) that does not exist: 429 once the address guessed
    too often, else the 404 page, counted as a guess. Only misses are ever refused: a
    valid link is served to an address the limiter blocks (an office behind one address
    must not lock all its staff out), so callers look up first and call this on a miss."""
    if blocked(request):
        state(request).limiter.failed(client_address(request))
        return too_many(request)
    return not_found(request)


def forbidden(request: Request) -> HTMLResponse:
    return render(request, "message.html", 403, title="Pagina verlopen",
                  text="Deze pagina is verlopen. Open de link uit uw e-mail opnieuw.")


async def lookup(request: Request, find: Callable[[Session], T | None]) -> T | Response:
    """What ``find`` reads in a read-only session in the thread pool (a respondent by
    the path's token), or the page that answers a miss instead (``miss``: 404 counted as
    a guess, 429 for an address that guessed too often)."""
    web = state(request)

    def work() -> T | None:
        with web.runtime.session(read_only=True) as session:
            return find(session)

    found = await web.in_thread(work)
    return found if found is not None else miss(request)


async def photo_response(request: Request, rm_lookup: Callable[[Session], int | None],
                         cache: str) -> Response:
    """The photo of the relationship manager whose user id ``rm_lookup`` reads in a
    read-only session (the invited client's RM, the landing page's; None: not found),
    sent with ``cache`` as its cache-control header. No respondent, no RM or no photo is
    a miss (``miss``), as an unknown token is."""
    from quickcrm.quickscans.contacts import photo_of

    found = await lookup(request, lambda s: photo_of(s, rm_lookup(s)))
    if isinstance(found, Response):
        return found
    content_type, data = found
    return Response(data, media_type=content_type, headers={"cache-control": cache})


def bad_form(request: Request) -> HTMLResponse:
    return render(request, "message.html", 400, title="Formulier niet verwerkt",
                  text="Dit formulier kon niet worden verwerkt. Ga terug en probeer het "
                       "opnieuw, of open de link uit uw e-mail opnieuw.")


async def read_post(request: Request) -> Any:
    """The form of a respondent's POST with every value cleaned (``clean_text``: no NUL
    or other control characters, which PostgreSQL refuses), or the page that answers
    instead: 403 for a POST from another site, 400 (a Dutch page) for a form that cannot
    be read (a file, too many fields, a broken multipart body)."""
    from starlette.datastructures import FormData
    from starlette.exceptions import HTTPException

    if cross_site(request.headers):
        return forbidden(request)
    try:
        form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    except HTTPException:
        return bad_form(request)
    items: list[tuple[str, str | Any]] = []
    for key, value in form.multi_items():
        if not isinstance(value, str):
            return bad_form(request)
        items.append((clean_text(key), clean_text(value)))
    return FormData(items)


def render_step(request: Request, views: list[SectionView], step: int | str | None, *,
              overview: str, section: str, status: int = 200, **common: Any) -> Response:
    """Step ``step`` of a QuickScan being filled in: "overzicht", a section number, or
    None for where the respondent left off (the first section with an open question,
    else the overview). A section that does not exist is the 404 page."""
    if step is None:
        step = resume_step(views) or "overzicht"
    if step == "overzicht":
        return render(request, overview, status, views=views,
                      open=sum(v.open_count for v in views), **common)
    if not isinstance(step, int) or not 1 <= step <= len(views):
        return not_found(request)
    return render(request, section, status, views=views, view=views[step - 1],
                  total=len(views), **common)


def saved_reply(errors: dict[str, str] | None) -> JSONResponse:
    """What the pages' script hears after sending one answer: ok, the Dutch message of
    a refused answer (422), or 409 when the QuickScan no longer takes answers (None)."""
    if errors is None:
        return JSONResponse({"ok": False, "fout": FINISHED}, 409)
    if errors:
        return JSONResponse({"ok": False, "fout": next(iter(errors.values()))}, 422)
    return JSONResponse({"ok": True})
