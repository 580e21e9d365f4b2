"""The landing page routes under /l/{slug}, mounted into the respondent web app.

The question pages are the invited clients' own (the ``field`` and ``readonly`` macros,
and ``quickcrm.quickscans``: the views, the steps, saving answers); only the paths and
what a visitor does before and after (details and consent, confirming the address)
differ. Every POST is checked for the same site and a CSRF token; misses count in the
app's guessing limiter; registrations are limited per e-mail address and per client
address.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from quickcrm.landing import visitors as lv
from quickcrm.quickscans.contacts import contact_of
from quickcrm.quickscans.pages import (
    client_address,
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
    too_many,
)
from quickcrm.quickscans.steps import save_answers, step_after, step_answers
from quickcrm.quickscans.views import sections


def _closed(request: Request, page: lv.Page) -> Response:
    return render(request, "message.html", 410, title=page.page.title,
                  text="Deze pagina is gesloten: de QuickScan kan hier niet meer worden "
                       "ingevuld. Hartelijk dank voor uw belangstelling. Neem gerust contact "
                       "met ons op als u vragen heeft.")


def _landing(request: Request, page: lv.Page, *, status: int = 200,
             errors: dict[str, str] | None = None,
             submitted: dict[str, str | None] | None = None) -> Response:
    """The page itself: the intro and the first section's questions; details are asked
    only when the visitor wants the report (on the overview)."""
    web = state(request)
    settings = web.runtime.settings
    issued = int(web.runtime.clock.now().timestamp())
    base = settings.base_url
    views = sections(page.definition.sections, {}, submitted=submitted, errors=errors)
    rm = page.contact
    photo = f"/l/{page.page.slug}/foto" if rm is not None and rm.has_photo else ""
    response = render(request, "landing.html", status, page=page.page, title=page.page.title,
                      rm=rm, photo_url=photo,
                      definition=page.definition, errors=errors or {}, views=views,
                      view=views[0], total=len(views), csrf=lv.form_csrf(page.page, issued),
                      url=f"{base}/l/{page.page.slug}",
                      image=f"{base}/l/{page.page.slug}/og.png",
                      description=" ".join((page.page.intro or page.definition.title)
                                           .split())[:200])
    if status == 200:
        response.headers["x-robots-tag"] = "index, follow"  # the one page search may show
    return response


async def landing_page(request: Request) -> Response:
    web = state(request)
    slug = request.path_params["slug"]

    def work() -> lv.Page | None:
        with web.runtime.session(read_only=True) as s:
            page = lv.find_page(s, slug)
            if page is not None:
                page.contact = contact_of(s, page.page.rm_id)
        if page is not None and not page.closed:
            with web.writing(), web.runtime.session() as s:
                lv.count_visit(s, page.page.id)  # type: ignore[arg-type]
        return page

    page = await web.in_thread(work)
    if page is None:
        return miss(request)
    return _closed(request, page) if page.closed else _landing(request, page)


async def og_image(request: Request) -> Response:
    """The page's own Open Graph image, drawn when it was created (else the generic one)."""
    from starlette.responses import FileResponse

    from quickcrm.resources import templates_dir

    web = state(request)
    slug = request.path_params["slug"]

    def work() -> tuple[lv.Page, bytes | None] | None:
        with web.runtime.session(read_only=True) as s:
            page = lv.find_page(s, slug)
            return (page, lv.og_image_of(s, page)) if page is not None else None

    found = await web.in_thread(work)
    if found is None:
        return miss(request)
    if found[1] is None:
        return FileResponse(templates_dir() / "web" / "static" / "landing.png",
                            headers={"cache-control": "public, max-age=3600"})
    return Response(found[1], media_type="image/png",
                    headers={"cache-control": "public, max-age=3600"})


async def register(request: Request) -> Response:
    """The first section's answers: a new visitor, without details yet."""
    from types import SimpleNamespace

    from quickcrm.quickscans.steps import check_answers

    web = state(request)
    slug = request.path_params["slug"]
    form = await read_post(request)
    if isinstance(form, Response):
        return form
    rt, address = web.runtime, client_address(request)

    def work() -> Any:
        with rt.session(read_only=True) as s:
            page = lv.find_page(s, slug)
        if page is None or page.closed:
            return page
        now = rt.clock.now()
        given = form.get("csrf")
        if not lv.form_csrf_ok(page.page, given if isinstance(given, str) else None, now):
            return "csrf"
        if form.get("website"):  # the honeypot: people never see it, robots fill it
            return "robot"
        submitted = step_answers(page.definition, 1, form)
        changes, errors = check_answers(SimpleNamespace(definition=page.definition, answers={}),
                                        submitted)
        if errors:
            return page, errors, submitted
        with web.writing(), rt.session() as s:
            if lv.too_many_starts(s, address=address, now=now):
                return "limit"
            visitor = lv.start(s, page, changes, address=address, now=now)
        return page, visitor.token

    done = await web.in_thread(work)
    if done is None:
        return miss(request)
    if isinstance(done, lv.Page):
        return _closed(request, done)
    if done == "csrf":
        return forbidden(request)
    if done == "limit":
        return too_many(request)
    if done == "robot":
        return render(request, "message.html", 200, title="Bedankt",
                      text="Bedankt voor uw belangstelling.")
    if len(done) == 3:
        page, errors, submitted = done
        return _landing(request, page, status=422, errors=errors, submitted=submitted)
    page, token = done
    where = step_after(form.get("ga"), 1, len(page.definition.sections))
    return RedirectResponse(f"/l/{page.page.slug}/{token}{where}", status_code=303)


def _visit_page(request: Request, visit: lv.Visit, step: int | str | None = None, *,
                status: int = 200, errors: dict[str, str] | None = None,
                submitted: dict[str, str | None] | None = None,
                details: dict[str, str] | None = None) -> Response:
    views = sections(visit.definition.sections, visit.answers, submitted=submitted,
                     errors=errors)
    base = f"/l/{visit.page.page.slug}/{visit.visitor.token}"
    v = visit.visitor
    values = details if details is not None else {
        "voornaam": v.first_name, "achternaam": v.last_name, "bedrijf": v.company,
        "email": v.email, "toestemming": "ja" if v.consent_at else ""}
    common = dict(visit=visit, base=base, title=visit.page.page.title,
                  csrf=lv.visitor_csrf(visit.visitor), errors=errors or {}, values=values,
                  privacy=str(state(request).runtime.settings["landing.privacy_text"]))
    if visit.page.closed and visit.status == "started":
        return _closed(request, visit.page)
    if visit.status != "started":
        rm = visit.page.contact
        return render(request, "landing_check.html", status, views=views, **common, rm=rm,
                      photo_url=f"/l/{visit.page.page.slug}/foto" if rm and rm.has_photo else "",
                      confirmed=visit.status == "confirmed")
    return render_step(request, views, step, overview="landing_overview.html",
                       section="landing_section.html", status=status, **common)


async def _find(request: Request, find: Callable[[Session, str, str], lv.Visit | None]
                ) -> lv.Visit | Response:
    """The visit the path's slug and token name (``find`` reads it), or the page that
    answers instead (``quickscans.pages.lookup``)."""
    slug, token = request.path_params["slug"], request.path_params["token"]
    return await lookup(request, lambda s: find(s, slug, token))


def _with_contact(session: Session, visit: lv.Visit | None) -> lv.Visit | None:
    """The visit, with the page's RM when the visitor is done (the pages that name them)."""
    if visit is not None and visit.status != "started":
        visit.page.contact = contact_of(session, visit.page.page.rm_id)
    return visit


async def _load(request: Request) -> lv.Visit | Response:
    return await _find(request, lambda s, slug, token: _with_contact(
        s, lv.find_visit(s, slug, token)))


async def visit_page(request: Request) -> Response:
    visit = await _load(request)
    return visit if isinstance(visit, Response) else _visit_page(request, visit)


async def step_page(request: Request) -> Response:
    visit = await _load(request)
    return visit if isinstance(visit, Response) else \
        _visit_page(request, visit, request.path_params["n"])


async def overview_page(request: Request) -> Response:
    visit = await _load(request)
    return visit if isinstance(visit, Response) else _visit_page(request, visit, "overzicht")


async def _posted(request: Request, load: Callable[[Request], Awaitable[lv.Visit | Response]]
                  = _load) -> tuple[lv.Visit, Any] | Response:
    """A POST from the same site whose form carries the visitor's CSRF token: the visit
    (``load`` finds it, by default by the visitor's token) and the form."""
    form = await read_post(request)
    if isinstance(form, Response):
        return form
    visit = await load(request)
    if isinstance(visit, Response):
        return visit
    given = form.get("csrf")
    if not lv.visitor_csrf_ok(visit.visitor, given if isinstance(given, str) else None):
        return forbidden(request)
    return visit, form


def _back(visit: lv.Visit, where: str = "") -> RedirectResponse:
    return RedirectResponse(f"/l/{visit.page.page.slug}/{visit.visitor.token}{where}",
                            status_code=303)


async def save_step(request: Request) -> Response:
    web = state(request)
    n = request.path_params["n"]
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    visit, form = posted
    count = len(visit.definition.sections)
    if not 1 <= n <= count:
        return not_found(request)
    given = step_answers(visit.definition, n, form)
    errors = await web.in_thread(lambda: save_answers(web, visit, given))
    if errors is None:  # completed (or the page closed) meanwhile: show that state
        return _back(visit)
    if errors:
        return _visit_page(request, visit, n, errors=errors, submitted=given, status=422)
    return _back(visit, step_after(form.get("ga"), n, count))


async def save_one(request: Request) -> Response:
    """One answer at a time: what the pages' script sends as the visitor answers."""
    web = state(request)
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    visit, form = posted
    qid, value = str(form.get("vraag") or ""), str(form.get("waarde") or "")
    return saved_reply(await web.in_thread(lambda: save_answers(web, visit, {qid: value})))


async def finish(request: Request) -> Response:
    """"Rapportage" with the details and consent asked on the overview: the
    confirmation e-mail goes out; the report follows the confirmation."""
    web = state(request)
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    visit, form = posted
    if visit.page.closed:
        return _closed(request, visit.page)
    slug, token = visit.page.page.slug, visit.visitor.token
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    details, errors = lv.check_details(data)
    if errors:
        return _visit_page(request, visit, "overzicht", status=422, errors=errors,
                           details={**details, "toestemming": data.get("toestemming", "")})
    rt = web.runtime

    def work() -> bool | str:
        now = rt.clock.now()
        with web.writing(), rt.session() as s:
            fresh = lv.find_visit(s, slug, token, lock=True)
            if fresh is None or fresh.status != "started":
                return False
            if lv.too_many_reports(s, email=details["email"], now=now):
                return "limit"
            lv.give_details(fresh.visitor, details, now=now,
                            consent_text=str(rt.settings["landing.privacy_text"]))
            s.add(fresh.visitor)
            s.flush()
            return lv.complete(s, fresh, runtime=rt)

    done = await web.in_thread(work)
    if done == "limit":
        return too_many(request)
    if done:
        web.deliver_soon()
    return _back(visit)


async def _load_confirm(request: Request) -> lv.Visit | Response:
    return await _find(request, lambda s, slug, token: _with_contact(
        s, lv.find_by_confirm(s, slug, token)))


async def rm_photo(request: Request) -> Response:
    """The photo of the page's relationship manager."""
    slug = request.path_params["slug"]

    def rm_of(s: Session) -> int | None:
        page = lv.find_page(s, slug)
        return page.page.rm_id if page is not None else None

    return await photo_response(request, rm_of, "public, max-age=3600")


def _confirm_page(request: Request, visit: lv.Visit) -> Response:
    web = state(request)
    if lv.confirm_expired(visit, web.runtime.clock.now()) and visit.status != "confirmed":
        return render(request, "message.html", 410, title="Link verlopen",
                      text="Deze bevestigingslink is verlopen. Vul de QuickScan opnieuw in "
                           "om uw rapportage te ontvangen.")
    rm = visit.page.contact
    return render(request, "landing_confirm.html", title=visit.page.page.title, visit=visit,
                  rm=rm, photo_url=f"/l/{visit.page.page.slug}/foto" if rm and rm.has_photo
                  else "",
                  csrf=lv.visitor_csrf(visit.visitor),
                  action=f"/l/{visit.page.page.slug}/bevestig/{visit.visitor.confirm_token}",
                  confirmed=visit.status == "confirmed")


async def confirm_page(request: Request) -> Response:
    visit = await _load_confirm(request)
    return visit if isinstance(visit, Response) else _confirm_page(request, visit)


async def confirm(request: Request) -> Response:
    web = state(request)
    posted = await _posted(request, _load_confirm)
    if isinstance(posted, Response):
        return posted
    visit, _form_ = posted
    if lv.confirm_expired(visit, web.runtime.clock.now()):
        return _confirm_page(request, visit)
    slug, token = visit.page.page.slug, visit.visitor.confirm_token

    def work() -> bool:
        from sqlalchemy.exc import IntegrityError

        for attempt in range(3):  # two new prospects at once may pick the same number
            try:
                with web.writing(), web.runtime.session() as s:
                    fresh = lv.find_by_confirm(s, slug, token, lock=True)
                    return fresh is not None and lv.confirm(s, fresh, runtime=web.runtime)
            except IntegrityError:
                if attempt == 2:
                    raise
        return False

    if await web.in_thread(work):
        web.deliver_soon()
    return RedirectResponse(f"/l/{slug}/bevestig/{token}", status_code=303)


def routes() -> list[Route]:
    slug, token = "{slug:str}", "{token:str}"
    return [
        Route(f"/l/{slug}", landing_page, methods=["GET"]),
        Route(f"/l/{slug}", register, methods=["POST"]),
        Route(f"/l/{slug}/og.png", og_image, methods=["GET"]),
        Route(f"/l/{slug}/foto", rm_photo, methods=["GET"]),
        Route(f"/l/{slug}/bevestig/{token}", confirm_page, methods=["GET"]),
        Route(f"/l/{slug}/bevestig/{token}", confirm, methods=["POST"]),
        Route(f"/l/{slug}/{token}", visit_page, methods=["GET"]),
        Route(f"/l/{slug}/{token}/stap/{{n:int}}", step_page, methods=["GET"]),
        Route(f"/l/{slug}/{token}/stap/{{n:int}}", save_step, methods=["POST"]),
        Route(f"/l/{slug}/{token}/overzicht", overview_page, methods=["GET"]),
        Route(f"/l/{slug}/{token}/antwoord", save_one, methods=["POST"]),
        Route(f"/l/{slug}/{token}/rapportage", finish, methods=["POST"]),
    ]
