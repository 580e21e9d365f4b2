"""The firm's branding in one place (issue 25 item 4): name, logo, colours and contact
details, as the web pages, the mails, the PDF and the PowerPoint use them.

Pure: :func:`from_settings` reads the ``firm.*`` settings, checks them (a colour is
``#rrggbb``, a logo is an existing PNG or JPEG file by its magic bytes) and raises a
:class:`~quickcrm.errors.ConfigError` naming the setting and where it came from. The logo's
bytes are read lazily, once per :class:`Branding`.

A relative ``firm.logo_file`` given in ``quickcrm.toml`` is taken relative to that file's
folder; given in the environment or on the command line, relative to the working folder.
An empty ``firm.privacy_url`` means the web app's own statement, ``<web.base_url>/privacy``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from quickcrm.errors import ConfigError

if TYPE_CHECKING:
    from quickcrm.settings import Settings

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
MAX_LOGO_BYTES = 2 * 1024 * 1024  # a logo goes into every mail and report
OWN_PRIVACY_PATH = "/privacy"


@dataclass(frozen=True)
class Branding:
    """What a client sees of the firm. Colours are lower-case ``#rrggbb``; text fields
    are stripped and may be empty (not shown then)."""

    name: str
    logo_path: Path | None
    color_primary: str
    color_accent: str
    phone: str
    email: str
    website: str
    address: str
    privacy_url: str  # absolute; the web app's own /privacy page when not set

    @cached_property
    def logo_bytes(self) -> bytes | None:
        """The logo file's bytes (read once), or None without a logo."""
        if self.logo_path is None:
            return None
        try:
            return self.logo_path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"firm.logo_file: cannot read {self.logo_path}: "
                              f"{exc.strerror or exc}") from None

    @property
    def logo_mime(self) -> str | None:
        """``image/png`` or ``image/jpeg`` (by the file's magic bytes), None without a logo."""
        data = self.logo_bytes
        return None if data is None else image_mime(data)

    @property
    def logo_suffix(self) -> str | None:
        """``.png`` or ``.jpg``, for a file name or an attachment."""
        mime = self.logo_mime
        return None if mime is None else (".png" if mime == "image/png" else ".jpg")

    @property
    def on_primary(self) -> str:
        """Text colour on a ``color_primary`` background: white or black, whichever
        contrasts more (so a light firm colour still gives readable buttons)."""
        return readable_on(self.color_primary)

    @property
    def on_accent(self) -> str:
        """Text colour on a ``color_accent`` background."""
        return readable_on(self.color_accent)

    @property
    def contact_lines(self) -> tuple[str, ...]:
        """The firm's contact details that are set, in reading order (address, phone,
        e-mail, website) — for a footer or a report's last page."""
        return tuple(v for v in (self.address, self.phone, self.email, self.website) if v)


def image_mime(data: bytes) -> str | None:
    """``image/png`` / ``image/jpeg`` by magic bytes, None for anything else."""
    if data.startswith(PNG_MAGIC):
        return "image/png"
    if data.startswith(JPEG_MAGIC):
        return "image/jpeg"
    return None


def _rgb(color: str) -> tuple[float, float, float]:
    return tuple(int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def relative_luminance(color: str) -> float:
    """WCAG 2.1 relative luminance of a ``#rrggbb`` colour."""
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1.0 … 21.0)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_on(background: str) -> str:
    """``#ffffff`` or ``#000000``, whichever contrasts more with ``background``."""
    return ("#ffffff" if contrast_ratio("#ffffff", background)
            >= contrast_ratio("#000000", background) else "#000000")


def ensure_contrast(color: str, background: str = "#ffffff", ratio: float = 4.5) -> str:
    """``color``, darkened (or lightened on a dark background) in small steps until it
    reaches ``ratio`` against ``background``: a firm's light colour still gives readable
    links (4.5:1) and visible borders (3:1)."""
    r, g, b = _rgb(color)
    toward = 0.0 if relative_luminance(background) > 0.18 else 1.0
    current = color.lower()
    for i in range(21):
        f = i / 20
        current = "#" + "".join(f"{round((c + (toward - c) * f) * 255):02x}" for c in (r, g, b))
        if contrast_ratio(current, background) >= ratio:
            return current
    return current


def _origin(settings: Settings, name: str) -> str:
    source = settings.sources.get(name, "default")
    return f"{name} ({source})" if source != "default" else name


def _color(settings: Settings, name: str) -> str:
    value = str(settings[name]).strip()
    if not _HEX.match(value):
        raise ConfigError(f"{_origin(settings, name)}: must be a colour written #rrggbb "
                          f"(e.g. #1f4e79), got {value!r}")
    return value.lower()


def _logo(settings: Settings) -> Path | None:
    name = "firm.logo_file"
    raw = str(settings[name]).strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    config_path = settings.config_path
    if (not path.is_absolute() and config_path is not None
            and settings.sources.get(name) == str(config_path)):
        path = config_path.parent / path
    where = _origin(settings, name)
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
            size = fh.seek(0, 2)
    except FileNotFoundError:
        raise ConfigError(f"{where}: logo file {str(path)!r} not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{where}: {str(path)!r} is a folder, not a logo file") from None
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read {str(path)!r}: "
                          f"{exc.strerror or exc}") from None
    if image_mime(head) is None:
        raise ConfigError(f"{where}: {str(path)!r} is not a PNG or JPEG image")
    if size > MAX_LOGO_BYTES:
        raise ConfigError(f"{where}: {str(path)!r} is {size // 1024} KiB; a logo may be at "
                          f"most {MAX_LOGO_BYTES // 1024} KiB (it goes into every mail)")
    return path.resolve()


def _url(settings: Settings, name: str) -> str:
    value = str(settings[name]).strip()
    if value and not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError(f"{_origin(settings, name)}: must be a web address starting with "
                          f"https://, got {value!r}")
    return value


def from_settings(settings: Settings) -> Branding:
    """The checked :class:`Branding` of these settings (ConfigError naming the setting)."""
    privacy = _url(settings, "firm.privacy_url") or settings.base_url + OWN_PRIVACY_PATH
    return Branding(
        name=str(settings["firm.name"]).strip(),
        logo_path=_logo(settings),
        color_primary=_color(settings, "firm.color_primary"),
        color_accent=_color(settings, "firm.color_accent"),
        phone=str(settings["firm.phone"]).strip(),
        email=str(settings["firm.email"]).strip(),
        website=_url(settings, "firm.website"),
        address=str(settings["firm.address"]).strip(),
        privacy_url=privacy,
    )


_CACHE: dict[int, tuple[Settings, Branding]] = {}


def for_settings(settings: Settings) -> Branding:
    """``from_settings``, checked once per settings object (a send renders thousands of
    mails; a web server a report per finish)."""
    hit = _CACHE.get(id(settings))
    if hit is not None and hit[0] is settings:
        return hit[1]
    brand = from_settings(settings)
    if len(_CACHE) > 32:
        _CACHE.clear()
    _CACHE[id(settings)] = (settings, brand)
    return brand
