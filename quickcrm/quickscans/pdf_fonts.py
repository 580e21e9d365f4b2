"""Fonts for the PDF report, chosen per document and parsed once per process, and what
happens to a character no font can draw.

A report whose text fits the PDF's built-in Windows-1252 fonts (all Dutch and most
Western European text, '€' and curly quotes included) uses Helvetica, which embeds
nothing. Any other report embeds DejaVu Sans (matplotlib's copy, else the Debian
package's): a European cut of it (Latin with Vietnamese, Greek, Cyrillic, punctuation,
currency, arrows, check marks, some shapes: 1,500 glyphs instead of 6,000), made once
per process in a private temporary directory, when that covers the text (Şahin, Łukasz,
Nguyễn, Γιώργος, Дмитрий), else the whole font (Hebrew, Armenian, Georgian, symbols).

Speed (issue 25: at least 20 reports a second for every name): fpdf2 parses a TrueType
font in ``add_font`` (some 20 ms) and subsets it with fontTools when writing, which
re-encodes every kept glyph in Python (some 30 ms a font) and changes the parsed font in
place, so it cannot be shared between documents as such. ``use_fonts`` parses each font
file once per process and gives every document a copy that shares the read-only tables
(widths, character map) with a ``PreparedFont`` of its own in place of the fontTools
font: fpdf2's subsetting of it (routed there by ``_install``) keeps the glyph numbers and
copies only the used glyphs' bytes, well under a millisecond.

Characters outside the chosen font are never dropped silently (issue 25 item 8):
``drawable`` replaces an emoji by a word in brackets ("[duim omhoog]", else "[emoji]")
and any other character by U+FFFD ('�', '?' in Helvetica), and reports whether it did, so
the report can say so.
"""

from __future__ import annotations

import atexit
import copy
import functools
import importlib.util
import os
import shutil
import tempfile
import unicodedata
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fpdf import FPDF
    from fpdf.fonts import TTFFont

_DEJAVU_DIRS = ("/usr/share/fonts/truetype/dejavu",)

# What the European cut holds: Latin-1, Latin Extended-A/B, IPA-free spacing modifiers,
# combining accents, Greek, Cyrillic, Latin Extended Additional (Vietnamese), Greek
# Extended, punctuation, currency, letterlike, arrows, minus, some shapes, check marks,
# and the replacement character.
EUROPEAN = ((0x20, 0x7E), (0xA0, 0x24F), (0x2B9, 0x2DD), (0x300, 0x36F), (0x370, 0x3FF),
            (0x400, 0x45F), (0x1E00, 0x1FFF), (0x2000, 0x206F), (0x20A0, 0x20CF),
            (0x2100, 0x215F), (0x2190, 0x2199), (0x2212, 0x2212), (0x25A0, 0x25CF),
            (0x2713, 0x2714), (0xFFFD, 0xFFFD))
REPLACEMENT = "\ufffd"

# Emoji a client may well type, as the word the report shows instead.
EMOJI_WORDS = {
    0x1F44D: "duim omhoog", 0x1F44E: "duim omlaag", 0x1F642: "glimlach",
    0x1F60A: "glimlach", 0x1F600: "lach", 0x1F603: "lach", 0x1F604: "lach",
    0x1F601: "lach", 0x1F602: "tranen van het lachen", 0x1F923: "rollend van het lachen",
    0x1F609: "knipoog", 0x1F610: "neutraal gezicht", 0x1F615: "verward gezicht",
    0x1F61F: "bezorgd gezicht", 0x1F622: "traan", 0x1F62D: "huilen", 0x1F620: "boos",
    0x1F914: "denkend gezicht", 0x1F64F: "gevouwen handen", 0x1F44F: "applaus",
    0x2764: "hart", 0x1F49A: "hart", 0x1F499: "hart", 0x2705: "vinkje", 0x274C: "kruis",
    0x1F4B0: "geldzak", 0x1F4B6: "eurobiljet", 0x1F3E2: "kantoorgebouw",
    0x1F680: "raket", 0x1F389: "feest", 0x2600: "zon", 0x1F31E: "zon",
    0x26A0: "waarschuwing", 0x1F4C8: "stijgende grafiek", 0x1F4C9: "dalende grafiek",
    0x263A: "glimlach", 0x2639: "frons", 0x1F641: "frons",
}
# Parts of an emoji sequence that carry no meaning of their own (they go with the emoji).
_JOINERS = {0x200D, 0xFE0E, 0xFE0F, 0x20E3} | set(range(0x1F3FB, 0x1F400)) \
    | set(range(0xE0020, 0xE0080))


def is_emoji(code: int) -> bool:
    return (0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF or 0x2B00 <= code <= 0x2BFF
            or 0x1F1E6 <= code <= 0x1F1FF or code in EMOJI_WORDS)


@functools.cache
def dejavu() -> tuple[Path, Path] | None:
    """(regular, bold) DejaVu Sans files, looked up once per process."""
    dirs = list(_DEJAVU_DIRS)
    spec = importlib.util.find_spec("matplotlib")  # locates without importing it
    if spec is not None and spec.origin:
        dirs.insert(0, str(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"))
    for folder in dirs:
        regular, bold = Path(folder, "DejaVuSans.ttf"), Path(folder, "DejaVuSans-Bold.ttf")
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


@functools.cache
def _european_cut() -> tuple[Path, Path] | None:
    """(regular, bold) of the European cut, made once per process."""
    full = dejavu()
    if full is None:
        return None
    from fontTools import subset

    folder = Path(tempfile.mkdtemp(prefix="quickcrm-fonts-"))
    atexit.register(_remove, folder, os.getpid())
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, name_IDs=["*"],
                             layout_features=[], hinting=False, glyph_names=True)
    options.drop_tables += ["FFTM"]  # FontForge's timestamp: fontTools would warn on it
    paths = []
    for source in full:
        font = subset.load_font(str(source), options)
        cutter = subset.Subsetter(options)
        cutter.populate(unicodes=[c for low, high in EUROPEAN for c in range(low, high + 1)])
        cutter.subset(font)
        path = folder / source.name
        subset.save_font(font, str(path), options)
        paths.append(path)
    return paths[0], paths[1]


def _remove(folder: Path, pid: int) -> None:
    if os.getpid() == pid:  # not when a forked child exits
        shutil.rmtree(folder, ignore_errors=True)


def european_cut() -> tuple[Path, Path] | None:
    """The cut, made again if its files went (a /tmp cleaner in a long-lived daemon)."""
    cut = _european_cut()
    if cut is not None and not (cut[0].is_file() and cut[1].is_file()):
        _european_cut.cache_clear()
        _parsed.cache_clear()
        cut = _european_cut()
    return cut


@functools.cache
def covered(path: Path) -> frozenset[int]:
    """The code points a font file has glyphs for."""
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap())


@functools.cache
def drawable_set(fonts: tuple[Path, Path]) -> frozenset[int]:
    """What both faces (regular and bold) of a font pair draw, line breaks included."""
    return covered(fonts[0]) & covered(fonts[1]) | {0x0A}


CP1252 = frozenset(ord(c) for c in bytes(range(0x20, 0x100)).decode("cp1252", "ignore")) \
    | {0x0A}


def choose(text: str) -> tuple[Path, Path] | None:
    """None when Helvetica (Windows-1252) can draw ``text``, else the lightest DejaVu
    Sans (regular, bold) that draws all of it that DejaVu can draw. What no font here
    has (an emoji, a Chinese character) does not count: ``drawable`` replaces it with
    something Helvetica draws too. None when there is no DejaVu Sans at all."""
    codes = set(map(ord, text)) - CP1252
    if not codes:
        return None
    full = dejavu()
    if full is None:
        return None
    need = codes & covered(full[0])
    if not need:
        return None
    cut = european_cut()
    if cut is not None and need <= covered(cut[0]):
        return cut
    return full


def drawable(text: str, charset: frozenset[int]) -> tuple[str, bool]:
    """``text`` with what ``charset`` lacks replaced visibly, and whether anything was:
    an emoji sequence (with its skin tone, joiners, a flag's two letters) by one word in
    brackets, anything else by U+FFFD, or by '?' when the charset lacks that too."""
    if text.isascii() or all(ord(c) in charset for c in set(text)):
        return text, False
    out: list[str] = []
    fallback = REPLACEMENT if ord(REPLACEMENT) in charset else "?"
    in_emoji = joined = flag_open = False
    for char in text:
        code = ord(char)
        if code in charset:
            out.append(char)
            in_emoji = joined = flag_open = False
        elif code in _JOINERS:
            if not in_emoji:
                out.append(fallback)
            joined = in_emoji and code == 0x200D
        elif 0x1F1E6 <= code <= 0x1F1FF:  # two regional letters make one flag
            if flag_open:
                flag_open = False
            else:
                out.append("[vlag]")
                in_emoji, flag_open = True, True
        elif is_emoji(code):
            if not joined:
                out.append(f"[{EMOJI_WORDS.get(code) or _emoji_word(char)}]")
            in_emoji, joined, flag_open = True, False, False
        else:
            out.append(fallback)
            in_emoji = joined = flag_open = False
    return "".join(out), True


def _emoji_word(char: str) -> str:
    return "emoji" if unicodedata.category(char) in ("So", "Sk", "Cn") else "teken"


@functools.cache
def _parsed(path: Path, style: str) -> TTFFont:
    """The font file parsed by fpdf2 once per process (a throwaway document holds it)."""
    from fpdf import FPDF

    holder = FPDF()
    holder.add_font("F", style, path)
    return next(iter(holder.fonts.values()))  # type: ignore[return-value]


_LEFT_OUT = frozenset({"glyf", "loca", "post", "DSIG", "name", "GDEF", "GPOS", "GSUB", "MATH",
                       "gasp", "hdmx", "meta", "FFTM", "kern", "LTSH", "VDMX", "PCLT"})


class PreparedFont:
    """A TrueType file read once per process, written per document with only the
    glyphs that document uses (and their components) filled in.

    It stands in for the fontTools font fpdf2 subsets when it writes a PDF: fontTools
    re-encodes every kept glyph's outline in Python (some 30 ms a font), while keeping
    the glyph numbers and leaving the unused glyphs empty is a copy of bytes. The
    result is a valid font whose unused glyphs are blank; the PDF maps its character
    codes to the same glyph numbers (``getGlyphID``), so what is drawn is unchanged.
    """

    def __init__(self, path: Path) -> None:
        import struct

        from fontTools.ttLib import TTFont

        with TTFont(str(path)) as font:
            order = font.getGlyphOrder()
            self.ids = {name: i for i, name in enumerate(order)}
            loca = list(font["loca"])
            glyf_raw = font.reader["glyf"]
            self.glyphs = [bytes(glyf_raw[loca[i]:loca[i + 1]]) for i in range(len(order))]
            glyf = font["glyf"]
            direct = {}
            for i, name in enumerate(order):
                glyph = glyf[name]
                if glyph.isComposite():
                    direct[i] = [self.ids[c.glyphName] for c in glyph.components]
            # what a PDF viewer needs of an embedded TrueType font; layout tables (the
            # PDF is laid out already), names and signatures stay out, as fpdf2 does
            self.tables = {tag: bytes(font.reader[tag]) for tag in font.reader.keys()
                           if tag not in _LEFT_OUT}
            head = bytearray(self.tables["head"])
            struct.pack_into(">h", head, 50, 1)  # indexToLocFormat: long offsets
            struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment, set when written
            self.tables["head"] = bytes(head)
            # post format 3: no glyph names (the PDF does not need them)
            self.tables["post"] = b"\x00\x03\x00\x00" + bytes(font.reader["post"])[4:32]

        def closure(gid: int, seen: set[int]) -> set[int]:
            for part in direct.get(gid, ()):
                if part not in seen:
                    seen.add(part)
                    closure(part, seen)
            return seen

        self.parts = {gid: frozenset(closure(gid, set())) for gid in direct}
        self.keep: set[int] = {0}

    def for_document(self) -> PreparedFont:
        """A per-document handle sharing the read-only data."""
        handle = copy.copy(self)
        handle.keep = {0}
        return handle

    # What fpdf2 asks of the font it subsets (fpdf/output.py: _add_fonts).
    def __contains__(self, tag: str) -> bool:
        return tag == "glyf" or tag in self.tables

    def getGlyphID(self, name: str) -> int:  # noqa: N802 - fontTools' name
        return self.ids[name]

    def subset_to(self, names: object) -> None:
        for name in names:  # type: ignore[attr-defined]
            gid = self.ids.get(name)
            if gid is not None:
                self.keep.add(gid)
                self.keep |= self.parts.get(gid, frozenset())

    def close(self) -> None:
        """Nothing to close: the file was read whole when the process prepared it."""

    def save(self, out: BytesIO) -> None:
        out.write(self.data())

    def data(self) -> bytes:
        """The font file: every table as read, glyf and loca with the kept glyphs only."""
        import struct

        glyf, offsets = bytearray(), []
        for gid, raw in enumerate(self.glyphs):
            offsets.append(len(glyf))
            if gid in self.keep and raw:
                glyf += raw
                glyf += b"\0" * (-len(glyf) % 4)
        offsets.append(len(glyf))
        tables = dict(self.tables)
        tables["glyf"] = bytes(glyf)
        tables["loca"] = struct.pack(f">{len(offsets)}I", *offsets)
        return _sfnt(tables)


def _checksum(data: bytes) -> int:
    import struct

    padded = data + b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF


def _sfnt(tables: dict[str, bytes]) -> bytes:
    """A TrueType file of ``tables`` (sorted directory, 4-byte aligned, checksums)."""
    import struct

    tags = sorted(tables)
    count = len(tags)
    power = 1 << (count.bit_length() - 1)
    header = struct.pack(">IHHHH", 0x00010000, count, power * 16, power.bit_length() - 1,
                         count * 16 - power * 16)
    offset = 12 + 16 * count
    directory, body = bytearray(), bytearray()
    for tag in tags:
        data = tables[tag]
        directory += struct.pack(">4sIII", tag.encode("latin-1"), _checksum(data),
                                 offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    font = bytearray(header + directory + body)
    head = 12 + 16 * count + sum(len(tables[t]) + (-len(tables[t]) % 4)
                                 for t in tags[:tags.index("head")])
    struct.pack_into(">I", font, head + 8, (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF)
    return bytes(font)


@functools.cache
def _prepared(path: Path) -> PreparedFont:
    return PreparedFont(path)


class _Subsetting:
    """fpdf2's ``fontTools.subset`` as fpdf/output.py uses it, passing a PreparedFont
    to its own cheap subsetting and anything else to fontTools unchanged."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    @property
    def Subsetter(self) -> Any:  # noqa: N802 - the module attribute's name
        real = self._real

        class Subsetter(real.Subsetter):  # type: ignore[misc, name-defined]
            def populate(self, *args: Any, glyphs: Any = (), **kwargs: Any) -> None:
                self._quickcrm_glyphs = list(glyphs)
                super().populate(*args, glyphs=glyphs, **kwargs)

            def subset(self, font: Any) -> None:
                if isinstance(font, PreparedFont):
                    font.subset_to(self._quickcrm_glyphs)
                    return
                super().subset(font)

        return Subsetter


@functools.cache
def _install() -> bool:
    """Route fpdf2's subsetting of a PreparedFont to it (once per process); False when
    this fpdf2 does not subset the way this expects (then fonts are parsed anew)."""
    import fpdf.output

    module = getattr(fpdf.output, "ftsubset", None)
    if module is None or not hasattr(module, "Subsetter"):
        return False
    if not isinstance(module, _Subsetting):
        fpdf.output.ftsubset = _Subsetting(module)  # type: ignore[attr-defined]
    return True


def use_fonts(pdf: FPDF, family: str, fonts: tuple[Path, Path]) -> None:
    """Make ``family`` (regular and bold) available in ``pdf`` from the process's parsed
    copies: what ``pdf.add_font`` does, without parsing the file again."""
    from fontTools.ttLib import TTFont
    from fpdf.fonts import SubsetMap

    prepared = _install()
    for style, path in (("", fonts[0]), ("B", fonts[1])):
        template = _parsed(path, style)
        font = copy.copy(template)  # shares cw, cmap, glyph_ids: read only
        # fpdf2 writes the PDF's object links into the descriptor while it outputs: one
        # each, or two documents written at once (the web app's threads) would mix them
        font.desc = copy.copy(template.desc)
        key = f"{family.lower()}{style}"
        font.i = len(pdf.fonts) + 1
        font.fontkey = key
        font.ttfont = (_prepared(path).for_document() if prepared  # type: ignore[assignment]
                       else TTFont(str(path), recalcTimestamp=False, lazy=True))
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.subset = SubsetMap(font)
        pdf.fonts[key] = font
