"""The routes: the client's pages under /q/{token}, the preview under /p/{token}.

Each handler parses the request, runs one use case from ``respond`` in the thread pool
(the store is synchronous), and renders a template or redirects (POST, then redirect,
then GET, so a reload never re-posts). Every miss - unknown or malformed token, a
preview token on /q/, an unknown path - gets the same 404 page; a miss under /q/ or /p/
counts against the caller's address in the guessing limiter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from quickcrm.quickscans.guards import cross_site, csrf_ok, csrf_token, well_formed
from quickcrm.quickscans.views import dutch_datetime, resume_step, sections
from quickcrm.web import respond

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

    scan = await _web(request).in_thread(work)
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
    # landing pages (/l/) are public: social-media previews fetch them and their image
    return PlainTextResponse("User-agent: *\nAllow: /l/\nAllow: /static/landing.png\n"
                             "Disallow: /\n")


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


def forbidden(request: Request) -> HTMLResponse:
    return render(request, "message.html", 403, title="Pagina verlopen",
                  text="Deze pagina is verlopen. Open de link uit uw e-mail opnieuw.")


async def _post(request: Request, action: Callable[[Session | None, respond.Scan, Any], Any],
                *, locked: bool = True) -> tuple[respond.Scan, Any, Any] | Response:
    """Every POST: limiter, form, same-site check, the invitation and its CSRF token,
    then ``action(session, scan, form)``. ``locked``: all of it in ONE write transaction
    with the invitation locked (Ja/Nee, Rapportage); otherwise the page is read without
    a lock and the action gets no session and writes on its own (answers)."""
    web = _web(request)
    if web.limiter.blocked(_address(request)):
        return too_many(request)
    token = request.path_params["token"]
    if not well_formed(token):
        return not_found(request)
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    if cross_site(request.headers):
        return forbidden(request)

    def found(session: Session) -> respond.Scan | str | None:
        scan = respond.find_scan(session, token, lock=locked)
        if scan is None:
            return None
        given, inv = form.get("csrf"), scan.invitation
        ok = csrf_ok(given if isinstance(given, str) else None, inv.token, inv.preview_token)
        return scan if ok else "csrf"

    def work() -> tuple[respond.Scan, Any] | str | None:
        if locked:
            with web.writing(), web.runtime.session() as session:
                scan = found(session)
                return (scan, action(session, scan, form)) if isinstance(scan, respond.Scan) \
                    else scan
        with web.runtime.session(read_only=True) as session:
            scan = found(session)
        return (scan, action(None, scan, form)) if isinstance(scan, respond.Scan) else scan

    done = await web.in_thread(work)
    if done is None:
        return not_found(request)
    if done == "csrf":
        return forbidden(request)
    assert isinstance(done, tuple)
    return done[0], done[1], form


def _save(request: Request, scan: respond.Scan, given: dict[str, str | None]
          ) -> dict[str, str] | None:
    """Check answers, then store the valid ones in a short write transaction; Dutch
    messages for refused answers, or None when the QuickScan no longer takes answers."""
    web = _web(request)
    if scan.status not in ("started", "new"):
        return None
    changes, errors = respond.check_answers(scan, given)
    if changes or scan.invitation.logged_in_at is None:
        with web.writing(), web.runtime.session() as session:
            if not respond.store_answers(session, scan, changes, now=web.runtime.clock.now()):
                return None
    return errors


def step_after(go: Any, n: int, count: int) -> str:
    """Where a posted step n of count goes next, by its button (the form's "ga"):
    vorige, volgende (after the last step: the overview), or opslaan (stay)."""
    if go == "vorige":
        return f"/stap/{max(1, n - 1)}"
    if go == "volgende":
        return "/overzicht" if n >= count else f"/stap/{n + 1}"
    return f"/stap/{n}"


def _back(token: str, where: str = "") -> RedirectResponse:
    return RedirectResponse(f"/q/{token}{where}", status_code=303)


async def choose(request: Request) -> Response:
    def action(session: Session | None, scan: respond.Scan, form: Any) -> str | None:
        assert session is not None
        choice = form.get("keuze")
        if choice in ("ja", "nee"):
            respond.choose(session, scan, interested=choice == "ja",
                           now=_web(request).runtime.clock.now())
        return choice

    posted = await _post(request, action)
    if isinstance(posted, Response):
        return posted
    scan, choice, _form = posted
    return _back(scan.invitation.token, "/stap/1" if choice == "ja" else "")


def _step_answers(scan: respond.Scan, n: int, form: Any) -> dict[str, str | None]:
    if not 1 <= n <= len(scan.definition.sections):
        return {}
    return {q.id: str(form[f"a-{q.id}"]) for q in scan.definition.sections[n - 1].questions
            if isinstance(form.get(f"a-{q.id}"), str)}


async def save_step(request: Request) -> Response:
    n = request.path_params["n"]

    def action(_s: Session | None, scan: respond.Scan, form: Any) -> dict[str, str] | None:
        if not 1 <= n <= len(scan.definition.sections):
            return {}  # answered below with the 404 page; records nothing
        return _save(request, scan, _step_answers(scan, n, form))

    posted = await _post(request, action, locked=False)
    if isinstance(posted, Response):
        return posted
    scan, errors, form = posted
    token, sections_count = scan.invitation.token, len(scan.definition.sections)
    if not 1 <= n <= sections_count:
        return not_found(request)
    if errors is None:  # finished or declined meanwhile: show that state
        return _back(token)
    if errors:
        return _page(request, scan, n, errors=errors, submitted=_step_answers(scan, n, form),
                     status=422)
    return _back(token, step_after(form.get("ga"), n, sections_count))


async def save_one(request: Request) -> Response:
    """One answer at a time: what the page's script sends as the client answers."""
    def action(_s: Session | None, scan: respond.Scan, form: Any) -> dict[str, str] | None:
        qid, value = str(form.get("vraag") or ""), str(form.get("waarde") or "")
        return _save(request, scan, {qid: value})

    posted = await _post(request, action, locked=False)
    if isinstance(posted, Response):
        return posted
    scan, errors, form = posted
    wants_json = "application/json" in request.headers.get("accept", "")
    if errors is None:
        if wants_json:
            return JSONResponse({"ok": False, "fout": "Deze QuickScan is al afgerond."}, 409)
        return _back(scan.invitation.token)
    if wants_json:
        if errors:
            return JSONResponse({"ok": False, "fout": next(iter(errors.values()))}, 422)
        return JSONResponse({"ok": True})
    return _back(scan.invitation.token)


async def finish(request: Request) -> Response:
    web = _web(request)

    def action(_s: Session | None, scan: respond.Scan, form: Any) -> bool:
        if scan.status != "started":
            return False
        prepared = respond.prepare_report(scan, runtime=web.runtime)
        with web.writing(), web.runtime.session() as session:
            fresh = respond.find_scan(session, scan.invitation.token, lock=True)
            return fresh is not None and respond.finish(session, fresh, runtime=web.runtime,
                                                        prepared=prepared)

    posted = await _post(request, action, locked=False)
    if isinstance(posted, Response):
        return posted
    scan, finished_now, _form = posted
    if finished_now:
        web.deliver_soon()
    return _back(scan.invitation.token)
