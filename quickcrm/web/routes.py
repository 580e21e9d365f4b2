"""The invited client's routes (/q/{token}) and the RM's preview (/p/{token}), declared by
the web area (``quickcrm/web/area.py``) and mounted by ``web/app.py``."""

from __future__ import annotations

from starlette.routing import Route

from quickcrm.web import pages, unsubscribe


def routes() -> list[Route]:
    token = "{token:str}"
    return [
        Route(f"/q/{token}", pages.client_page, methods=["GET"]),
        Route(f"/q/{token}/stap/{{n:int}}", pages.step_page, methods=["GET"]),
        Route(f"/q/{token}/overzicht", pages.overview_page, methods=["GET"]),
        Route(f"/q/{token}/keuze", pages.choose, methods=["POST"]),
        Route(f"/q/{token}/stap/{{n:int}}", pages.save_step, methods=["POST"]),
        Route(f"/q/{token}/antwoord", pages.save_one, methods=["POST"]),
        Route(f"/q/{token}/rapportage", pages.finish, methods=["POST"]),
        Route(f"/q/{token}/ongedaan", pages.undo, methods=["POST"]),
        Route(f"/q/{token}/foto", pages.rm_photo, methods=["GET"]),
        Route(f"/p/{token}", pages.preview_page, methods=["GET"]),
        # mail (issue 24): the one-click opt-out of List-Unsubscribe (RFC 8058)
        Route(f"/u/{token}", unsubscribe.confirm_page, methods=["GET"]),
        Route(f"/u/{token}", unsubscribe.unsubscribe, methods=["POST"]),
    ]
