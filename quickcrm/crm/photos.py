"""A user's photo, made safe before it is stored: `user edit --photo FILE`.

A photo is shown to clients (the relationship manager on the client's pages), so only a
real picture may get in, and nothing of the file but its pixels: the file's size is
capped before it is read, its type is read from its content (never its name), its pixel
count is capped before decoding (a small file can unpack to gigabytes), and the picture
is decoded and written again by QuickCRM, scaled to at most ``MAX_SIDE`` pixels. What is
stored is therefore always a fresh JPEG (or a PNG where the picture has transparency),
without the original's metadata (camera, GPS position) or anything hidden after the
image data.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from quickcrm.errors import InvalidInput

MAX_BYTES = 5 * 1024 * 1024  # a phone's photo fits; a stray video does not
MAX_PIXELS = 40_000_000  # before decoding: refuses decompression bombs
MAX_SIDE = 600  # stored size: plenty for a portrait on a web page
ACCEPTED = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}


@dataclass(frozen=True)
class Photo:
    content_type: str
    width: int
    height: int
    data: bytes


def read_photo(path: Path) -> Photo:
    """The photo in ``path``, checked and re-encoded; InvalidInput naming the file
    otherwise."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InvalidInput(f"{path}: the photo is {size / 1024 / 1024:.1f} MB; "
                           f"at most {MAX_BYTES // 1024 // 1024} MB")
    return prepare_photo(path.read_bytes(), str(path))


def prepare_photo(raw: bytes, name: str) -> Photo:
    """Check ``raw`` is a JPEG, PNG or WebP picture and re-encode it (see the module)."""
    from PIL import Image, UnidentifiedImageError

    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"{name}: the photo is larger than {MAX_BYTES // 1024 // 1024} MB")
    kinds = ", ".join(ACCEPTED.values())
    try:
        with Image.open(io.BytesIO(raw), formats=list(ACCEPTED)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidInput(f"{name}: the photo has {probe.width}x{probe.height} "
                                   f"pixels; at most {MAX_PIXELS // 1_000_000} million")
            probe.verify()  # structure and checksums, without keeping the pixels
        with Image.open(io.BytesIO(raw), formats=list(ACCEPTED)) as image:
            image.load()
            picture = image.copy()
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise InvalidInput(f"{name}: not a photo QuickCRM accepts ({kinds})") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(f"{name}: a damaged image ({exc})") from None
    return _encode(picture)


def _encode(picture: object) -> Photo:
    from PIL import Image, ImageOps

    assert isinstance(picture, Image.Image)
    picture = ImageOps.exif_transpose(picture)  # a phone's portrait stays upright
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        picture.convert("RGBA").save(out, "PNG", optimize=True)
        content_type = "image/png"
    else:
        picture.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
        content_type = "image/jpeg"
    return Photo(content_type=content_type, width=picture.width, height=picture.height,
                 data=out.getvalue())
