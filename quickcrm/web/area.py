"""The web area: the invited client's QuickScan pages (/q/{token}) and the relationship
manager's read-only preview (/p/{token}). The app around them (``web/app.py``) is an
entry point that mounts every area's routes."""

from quickcrm.area import Area

AREA = Area(
    name="web",
    web=("quickcrm.web.routes:routes",),
)
