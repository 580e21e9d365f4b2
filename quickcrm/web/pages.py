"""The routes: the client's pages under /q/{token}, the preview under /p/{token}.

Each handler parses the request, runs one use case from ``respond`` in the thread pool
(the store is synchronous), and renders a template or redirects (POST, then redirect,
then GET, so a reload never re-posts). Every miss - unknown or malformed token, a
preview token on /q/, an unknown path - gets the same 404 page; a miss under /q/ or /p/
counts against the caller's address in the guessing limiter. What the landing pages
share with these (rendering, the steps, saving answers) is ``quickcrm.quickscans``'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from quickcrm.quickscans.guards import csrf_ok, csrf_token, well_formed
from quickcrm.quickscans.pages import (
    forbidden,
    lookup,
    miss,
    not_found,
    photo_response,
    read_post,
    render,
    render_step,
    saved_reply,
    state,
)
from quickcrm.quickscans.steps import save_answers, step_after, step_answers
from quickcrm.quickscans.views import dutch_datetime, sections
from quickcrm.web import respond


async def missing(request: Request, exc: Exception) -> Response:
    """Starlette's 404 for unknown paths: the same page as an unknown token; it counts
    as a guess under /q/ and /p/ only (favicon.ico and other paths browsers fetch on
    their own do not)."""
    if request.url.path.startswith(("/q/", "/p/", "/u/")):
        return miss(request)
    return not_found(request, guess=False)


async def _load(request: Request, *, preview: bool = False) -> respond.Scan | Response:
    token = request.path_params["token"]
    return await lookup(request, lambda s: respond.find_scan(s, token, preview=preview,
                                                             with_contact=True))


def _page(request: Request, scan: respond.Scan, step: int | str | None = None, *,
          status: int = 200, errors: dict[str, str] | None = None,
          submitted: dict[str, str | None] | None = None) -> Response:
    """The page for the scan's state; ``step`` picks a section or "overzicht"."""
    token = scan.invitation.token
    views = sections(scan.definition.sections, scan.answers, submitted=submitted, errors=errors)
    common = dict(scan=scan, token=token, title=scan.definition.title,
                  csrf=csrf_token(token, scan.invitation.preview_token), errors=errors or {},
                  finished_at=dutch_datetime(scan.invitation.finished_at, state(request).tz))
    if scan.status in ("new", "declined", "finished"):
        rm = scan.contact
        undo = request.query_params.get("ongedaan") if scan.status == "declined" else None
        if undo and not respond.can_undo(scan, undo, state(request).runtime.clock.now()):
            undo = None
        return render(request, f"{scan.status}.html", status, views=views, rm=rm,
                      photo_url=f"/q/{token}/foto" if rm and rm.has_photo else "",
                      undo=undo, **common)
    return render_step(request, views, step, overview="overview.html", section="section.html",
                     status=status, **common)


async def rm_photo(request: Request) -> Response:
    """The photo of the client's relationship manager, for their own pages only."""
    token = request.path_params["token"]

    def rm_of(s: Session) -> int | None:
        scan = respond.find_scan(s, token)
        return scan.client.rm_id if scan is not None else None

    return await photo_response(request, rm_of, "private, max-age=3600")


async def undo(request: Request) -> Response:
    """ "Ongedaan maken" on the page right after Nee: the client continues after all."""
    def action(session: Session | None, scan: respond.Scan, form: Any) -> bool:
        assert session is not None
        code = form.get("code")
        return respond.undo_decline(session, scan, code=code if isinstance(code, str) else None,
                                    now=state(request).runtime.clock.now())

    posted = await _post(request, action)
    if isinstance(posted, Response):
        return posted
    scan, undone, _form = posted
    return _back(scan.invitation.token, "/stap/1" if undone else "")


def brand_stylesheet(brand: Any) -> str:
    """The firm's colours as CSS custom properties, over app.css's defaults. Links and
    borders use the colour made dark enough for their contrast (``ensure_contrast``)."""
    from quickcrm.branding import ensure_contrast

    # measured against the darkest light background the pages use (a chosen option)
    tint = "#eef3f8"
    return (":root {\n"
            f"  --primary: {brand.color_primary};\n"
            f"  --on-primary: {brand.on_primary};\n"
            f"  --accent: {brand.color_accent};\n"
            f"  --link: {ensure_contrast(brand.color_primary, tint)};\n"
            f"  --control: {ensure_contrast(brand.color_primary, tint, ratio=3.0)};\n"
            f"  --focus: {ensure_contrast(brand.color_accent, tint, ratio=3.0)};\n"
            "}\n")


async def stylesheet(request: Request) -> Response:
    return Response(state(request).extra["stylesheet"], media_type="text/css",
                    headers={"cache-control": "public, max-age=300"})


async def logo(request: Request) -> Response:
    brand = state(request).brand
    if brand is None or brand.logo_path is None:
        return not_found(request, guess=False)
    return Response(brand.logo_bytes, media_type=brand.logo_mime,
                    headers={"cache-control": "public, max-age=300"})


async def privacy(request: Request) -> Response:
    return render(request, "privacy.html", title="Privacyverklaring")


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
    tz = state(request).tz
    return render(request, "preview.html", scan=scan, title=scan.definition.title,
                  views=sections(scan.definition.sections, scan.answers),
                  dates={k: dutch_datetime(getattr(scan.invitation, k), tz) for k in
                         ("invited_at", "logged_in_at", "not_interested_at", "finished_at")})


async def _post(request: Request, action: Callable[[Session | None, respond.Scan, Any], Any],
                *, locked: bool = True) -> tuple[respond.Scan, Any, Any] | Response:
    """Every POST: limiter, form, same-site check, the invitation and its CSRF token,
    then ``action(session, scan, form)``. ``locked``: all of it in ONE write transaction
    with the invitation locked (Ja/Nee, Rapportage); otherwise the page is read without
    a lock and the action gets no session and writes on its own (answers)."""
    web = state(request)
    token = request.path_params["token"]
    if not well_formed(token):
        return miss(request)
    form = await read_post(request)
    if isinstance(form, Response):
        return form

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
        return miss(request)
    if done == "csrf":
        return forbidden(request)
    assert isinstance(done, tuple)
    return done[0], done[1], form


def _back(token: str, where: str = "") -> RedirectResponse:
    return RedirectResponse(f"/q/{token}{where}", status_code=303)


async def choose(request: Request) -> Response:
    def action(session: Session | None, scan: respond.Scan, form: Any) -> str | None:
        assert session is not None
        choice = form.get("keuze")
        if choice in ("ja", "nee"):
            respond.choose(session, scan, interested=choice == "ja",
                           now=state(request).runtime.clock.now())
        return choice

    posted = await _post(request, action)
    if isinstance(posted, Response):
        return posted
    scan, choice, _form = posted
    if choice == "nee" and scan.status == "declined":
        return _back(scan.invitation.token, f"?ongedaan={respond.undo_code(scan)}")
    return _back(scan.invitation.token, "/stap/1" if choice == "ja" else "")


async def save_step(request: Request) -> Response:
    n = request.path_params["n"]

    def action(_s: Session | None, scan: respond.Scan, form: Any) -> dict[str, str] | None:
        if not 1 <= n <= len(scan.definition.sections):
            return {}  # answered below with the 404 page; records nothing
        return save_answers(state(request), scan, step_answers(scan.definition, n, form))

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
        return _page(request, scan, n, errors=errors, status=422,
                     submitted=step_answers(scan.definition, n, form))
    return _back(token, step_after(form.get("ga"), n, sections_count))


async def save_one(request: Request) -> Response:
    """One answer at a time: what the page's script sends as the client answers."""
    def action(_s: Session | None, scan: respond.Scan, form: Any) -> dict[str, str] | None:
        qid, value = str(form.get("vraag") or ""), str(form.get("waarde") or "")
        return save_answers(state(request), scan, {qid: value})

    posted = await _post(request, action, locked=False)
    if isinstance(posted, Response):
        return posted
    scan, errors, _form = posted
    if "application/json" in request.headers.get("accept", ""):
        return saved_reply(errors)
    return _back(scan.invitation.token)


async def finish(request: Request) -> Response:
    web = state(request)

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
