"""The one-click opt-out of campaign mail (RFC 8058), /u/{token}: a GET shows a confirm
button and changes nothing (link scanners fetch every URL); a POST opts the client out.

The POST has no CSRF or same-site check on purpose: the mail provider sends it from its
own servers, without cookies, the body ``List-Unsubscribe=One-Click``; the URL's own
unguessable token is the proof (``quickcrm.campaigns.optout``). A wrong token is the one
404 page and counts as a guess in the limiter, like /q/ and /p/.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from quickcrm.campaigns.optout import find_optout, opt_out
from quickcrm.quickscans.pages import bad_form, lookup, miss, render, state

TITLE = "Afmelden"


async def confirm_page(request: Request) -> Response:
    token = request.path_params["token"]
    found = await lookup(request, lambda s: find_optout(s, token))
    if isinstance(found, Response):
        return found
    return render(request, "unsubscribe.html", title=TITLE, token=token, done=found.opted_out)


async def unsubscribe(request: Request) -> Response:
    from starlette.exceptions import HTTPException

    token = request.path_params["token"]
    try:
        form = await request.form(max_files=0, max_fields=10)
    except HTTPException:
        return bad_form(request)
    one_click = form.get("List-Unsubscribe") == "One-Click"  # the provider, not our button
    web = state(request)

    def work() -> bool:
        with web.writing(), web.runtime.session() as session:
            found = opt_out(session, token=token, now=web.runtime.clock.now(),
                            one_click=one_click)
            session.commit()
            return found is not None

    if not await web.in_thread(work):
        return miss(request)  # only misses count; a valid link is never refused
    return render(request, "unsubscribe.html", title=TITLE, token=token, done=True)
