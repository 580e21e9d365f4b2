"""The routes: the client's pages under /q/{token}, the preview under /p/{token}.

Each handler parses the request, runs one use case from ``respond`` in the thread pool
(the store is synchronous), and renders a template or redirects (POST, then redirect,
then GET, so a reload never re-posts). Every miss - unknown or malformed token, a
preview token on /q/, an unknown path - gets the same 404 page and counts against the
caller's address in the guessing limiter.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from quickcrm.web import respond
from quickcrm.web.security import cross_site, csrf_ok, csrf_token
from quickcrm.web.views import dutch_datetime, resume_step, sections

MAX_FORM_FIELDS = 400


def _web(request: Request) -> Any:
    return request.app.state.web


def _address(request: Request) -> str:
    return request.client.host if request.client else "-"


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    web = _web(request)
    html = web.templates.get_template(template).render(firm=web.firm, **context)
    return HTMLResponse(html, status_code=status)


def not_found(request: Request) -> HTMLResponse:
    """The one 404 page; a miss on a token path counts as a guess (favicon.ico and
    other paths browsers fetch on their own do not)."""
    if request.url.path.startswith(("/q/", "/p/")):
        _web(request).limiter.failed(_address(request))
    return render(request, "notfound.html", 404, title="Pagina niet gevonden")


def too_many(request: Request) -> HTMLResponse:
    return render(request, "message.html", 429, title="Even geduld",
                  text="Er zijn te veel verzoeken gedaan vanaf uw verbinding. "
                       "Probeer het later opnieuw.")


async def missing(request: Request, exc: Exception) -> Response:
    """Starlette's 404 for unknown paths: the same page as an unknown token."""
    if _web(request).limiter.blocked(_address(request)):
        return too_many(request)
    return not_found(request)


async def _load(request: Request, *, preview: bool = False) -> respond.Scan | Response:
    if _web(request).limiter.blocked(_address(request)):
        return too_many(request)
    token = request.path_params["token"]
    rt = _web(request).runtime

    def work() -> respond.Scan | None:
        with rt.session(read_only=True) as session:
            return respond.find_scan(session, token, preview=preview)

    scan = await run_in_threadpool(work)
    return scan if scan is not None else not_found(request)


def _page(request: Request, scan: respond.Scan, step: int | str | None = None, *,
          status: int = 200, errors: dict[str, str] | None = None,
          submitted: dict[str, str | None] | None = None) -> HTMLResponse:
    """The page for the scan's state; ``step`` picks a section or "overzicht"."""
    web = _web(request)
    token = scan.invitation.token
    views = sections(scan.definition.sections, scan.answers, submitted=submitted, errors=errors)
    common = dict(scan=scan, token=token, views=views, title=scan.definition.title,
                  csrf=csrf_token(token, scan.invitation.preview_token), errors=errors or {},
                  finished_at=dutch_datetime(scan.invitation.finished_at, web.tz))
    if scan.status in ("new", "declined", "finished"):
        return render(request, f"{scan.status}.html", status, **common)
    if step is None:
        step = resume_step(views) or "overzicht"
    if step == "overzicht":
        return render(request, "overview.html", status, open=sum(v.open_count for v in views),
                      **common)
    assert isinstance(step, int)
    if not 1 <= step <= len(views):
        return not_found(request)
    return render(request, "section.html", status, view=views[step - 1], total=len(views),
                  **common)


async def robots(request: Request) -> Response:
    return PlainTextResponse("User-agent: *\nDisallow: /\n")


async def favicon(request: Request) -> Response:
    return Response(status_code=204)


async def client_page(request: Request) -> Response:
    scan = await _load(request)
    return scan if isinstance(scan, Response) else _page(request, scan)


async def step_page(request: Request) -> Response:
    scan = await _load(request)
    return scan if isinstance(scan, Response) else _page(request, scan, request.path_params["n"])


async def overview_page(request: Request) -> Response:
    scan = await _load(request)
    return scan if isinstance(scan, Response) else _page(request, scan, "overzicht")


async def preview_page(request: Request) -> Response:
    scan = await _load(request, preview=True)
    if isinstance(scan, Response):
        return scan
    web = _web(request)
    return render(request, "preview.html", scan=scan, title=scan.definition.title,
                  views=sections(scan.definition.sections, scan.answers),
                  dates={k: dutch_datetime(getattr(scan.invitation, k), web.tz) for k in
                         ("invited_at", "logged_in_at", "not_interested_at", "finished_at")})


async def _post(request: Request) -> tuple[respond.Scan, Any] | Response:
    """Common checks of every POST: limiter, token, CSRF; returns the scan and form."""
    loaded = await _load(request)
    if isinstance(loaded, Response):
        return loaded
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    inv = loaded.invitation
    if cross_site(request.headers) or not csrf_ok(form.get("csrf"), inv.token, inv.preview_token):
        return render(request, "message.html", 403, title="Pagina verlopen",
                      text="Deze pagina is verlopen. Open de link uit uw e-mail opnieuw.")
    return loaded, form


def _back(token: str, where: str = "") -> RedirectResponse:
    return RedirectResponse(f"/q/{token}{where}", status_code=303)


async def choose(request: Request) -> Response:
    posted = await _post(request)
    if isinstance(posted, Response):
        return posted
    scan, form = posted
    web, token = _web(request), scan.invitation.token
    interested = form.get("keuze") == "ja"
    if form.get("keuze") not in ("ja", "nee"):
        return _back(token)

    def work() -> None:
        with web.runtime.session() as session:
            respond.choose(session, token, interested=interested, now=web.runtime.clock.now())

    await run_in_threadpool(work)
    return _back(token, "/stap/1" if interested else "")


async def save_step(request: Request) -> Response:
    posted = await _post(request)
    if isinstance(posted, Response):
        return posted
    scan, form = posted
    n, web, token = request.path_params["n"], _web(request), scan.invitation.token
    if not 1 <= n <= len(scan.definition.sections):
        return not_found(request)
    given = {q.id: str(form[f"a-{q.id}"]) for q in scan.definition.sections[n - 1].questions
             if isinstance(form.get(f"a-{q.id}"), str)}

    def work() -> tuple[respond.Scan | None, dict[str, str]]:
        with web.runtime.session() as session:
            return respond.save_answers(session, token, given, now=web.runtime.clock.now())

    saved, errors = await run_in_threadpool(work)
    if saved is None:
        return not_found(request)
    if errors:
        return _page(request, saved, n, errors=errors, submitted=given, status=422)
    if saved.status != "started":
        return _back(token)
    go = form.get("ga")
    if go == "vorige":
        return _back(token, f"/stap/{max(1, n - 1)}")
    if go == "volgende":
        last = n >= len(scan.definition.sections)
        return _back(token, "/overzicht" if last else f"/stap/{n + 1}")
    return _back(token, f"/stap/{n}")


async def save_one(request: Request) -> Response:
    """One answer at a time: what the page's script sends as the client answers."""
    posted = await _post(request)
    if isinstance(posted, Response):
        return posted
    scan, form = posted
    web, token = _web(request), scan.invitation.token
    qid, value = str(form.get("vraag") or ""), form.get("waarde")
    wants_json = "application/json" in request.headers.get("accept", "")

    def work() -> tuple[respond.Scan | None, dict[str, str]]:
        with web.runtime.session() as session:
            return respond.save_answers(session, token, {qid: str(value or "")},
                                        now=web.runtime.clock.now())

    saved, errors = await run_in_threadpool(work)
    if saved is None:
        return not_found(request)
    if saved.status not in ("started", "new"):
        if wants_json:
            return JSONResponse({"ok": False, "fout": "Deze QuickScan is al afgerond."}, 409)
        return _back(token)
    if wants_json:
        if errors:
            return JSONResponse({"ok": False, "fout": errors.get(qid, "")}, 422)
        return JSONResponse({"ok": True, "beantwoord": saved.answered()})
    return _back(token)


async def finish(request: Request) -> Response:
    posted = await _post(request)
    if isinstance(posted, Response):
        return posted
    scan, _form = posted
    web, token = _web(request), scan.invitation.token

    def work() -> bool:
        with web.runtime.session() as session:
            return respond.finish(session, token, runtime=web.runtime)

    if await run_in_threadpool(work):
        web.deliver_soon()
    return _back(token)
