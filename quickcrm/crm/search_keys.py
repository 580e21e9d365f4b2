"""The one helper that makes a person findable: normalised search keys, written by every
writer of ``person`` (the client importer's raw SQL, landing confirmation, the person
CRM's services) and read by ``person search`` and the duplicate check.

A key is lower case without accents (NFKD, combining marks dropped, casefolded, a few
letters NFKD keeps spelled out: ø, ł, đ, æ, œ, ß). A person's keys are the whole first and last
name ("van den berg", so "van den b" finds it, and so does "van"), each further word of
them ("berg") and the e-mail address. A prefix search is a range on the indexed key, ``key >= 'berg' AND
key < 'berh'``, which SQLite and PostgreSQL (the column collates as "C" there) answer
from the index alike: no unaccent extension, no LIKE.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import chain
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session

from quickcrm.store.driver import copy_rows

KEY_LENGTH = 120
_SPELLED = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "æ": "ae", "œ": "oe", "ı": "i",
                          "þ": "th", "ð": "d"})
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_HOUSE_NUMBER = re.compile(r"(\d+)\s*([a-z]{0,2})\b")
_ROWS = 400  # keys per INSERT statement (2 values each: below both databases' limits)
_NEW_KEYS = "qc_import_new_person_key"  # PostgreSQL: a batch's keys before they go in


def normalise(text: str) -> str:
    """``"  Zoë ÇELIK "`` -> ``"zoe celik"``: lower case, accents stripped, single spaces."""
    if text.isascii():  # most names and addresses: casefold is lower, nothing to strip
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.translate(_SPELLED).split())


def words(text: str) -> list[str]:
    """The words of a normalised text ("jansen-de vries" -> jansen, de, vries)."""
    return [w for w in _NOT_WORD.split(normalise(text)) if w]


@lru_cache(maxsize=1 << 16)
def name_keys(name: str) -> tuple[str, ...]:
    """The keys of one name (names repeat: cached): the whole name, which also serves
    prefixes of its first word, and each further word."""
    whole = normalise(name)
    if not whole:
        return ()
    found = words(name)
    rest = found[1:] if found and whole.startswith(found[0]) else found
    return tuple(dict.fromkeys(k[:KEY_LENGTH] for k in (whole, *rest)))


def keys_for(first_name: str, last_name: str, email: str) -> set[str]:
    """Every search key of one person: their first and last names' keys and the e-mail
    address (a search for any word of a name is a prefix of one of them)."""
    keys = {*name_keys(first_name), *name_keys(last_name)}
    if email:
        keys.add(normalise(email)[:KEY_LENGTH])
    return keys


@lru_cache(maxsize=1 << 16)
def _names_keys(first_name: str, last_name: str) -> tuple[str, ...]:
    """The keys of a first and a last name together, each once (pairs repeat: cached)."""
    return tuple(dict.fromkeys((*name_keys(first_name), *name_keys(last_name))))


def key_pairs(persons: Iterable[tuple[int, str, str, str]]) -> list[tuple[str, int]]:
    """``(key, person id)`` for every key of ``persons`` (id, first name, last name,
    e-mail), in index order: ``keys_for`` of each, made column by column (a bulk
    writer's hot loop: a million persons per import). The names' keys are cached per
    pair; a column of plain ASCII addresses is lower-cased as one string."""
    rows = list(persons)
    if not rows:
        return []
    ids, firsts, lasts, emails = zip(*rows, strict=True)
    if None in firsts or None in lasts:
        firsts, lasts = tuple(f or "" for f in firsts), tuple(n or "" for n in lasts)
    names = list(map(_names_keys, firsts, lasts))
    pairs = [(key, pid) for pid, keys in zip(ids, names, strict=True) for key in keys]
    pairs += [(mail, pid) for pid, mail, keys in zip(ids, _mail_keys(emails), names, strict=True)
              if mail and mail not in keys]
    pairs.sort()  # in index order: each B-tree page is visited once, not once per key
    return pairs


_ASCII_SPACE = re.compile(r"[ \t\r\x0b\x0c\x1c-\x1f]")  # what str.split() splits ASCII on, but \n


def _mail_keys(emails: Sequence[str | None]) -> list[str]:
    """The e-mail key of each address: ``normalise(email)[:KEY_LENGTH]``, for a column
    of ASCII addresses without spaces (an import's: checked) as one ``lower``."""
    text = "\n".join(e or "" for e in emails)
    if text.isascii() and not _ASCII_SPACE.search(text):
        lowered = text.lower().split("\n")
        if len(lowered) == len(emails):  # no address had a newline of its own
            if max(map(len, lowered)) <= KEY_LENGTH:
                return lowered
            return [m[:KEY_LENGTH] for m in lowered]
    return [normalise(e)[:KEY_LENGTH] if e else "" for e in emails]


def full_name(first_name: str, last_name: str) -> str:
    """The normalised full name the duplicate check compares."""
    return " ".join(words(first_name) + words(last_name))


def house_number(address: str) -> str:
    """The house number of a Dutch street address: ``"Kerkstraat 12 A"`` -> ``"12a"``."""
    found = _HOUSE_NUMBER.search(normalise(address))
    return (found.group(1) + found.group(2)) if found else ""


def address_key(address: str, postcode: str) -> str:
    """``"1234ab 12a"``: postcode and house number, "" unless both are known."""
    code = "".join(normalise(postcode).split())
    number = house_number(address)
    return f"{code} {number}" if code and number else ""


def prefix_range(prefix: str) -> tuple[str, str]:
    """The key range ``[low, high)`` of every key starting with ``prefix``."""
    low = prefix[:KEY_LENGTH]
    return low, low[:-1] + chr(ord(low[-1]) + 1)


def _conn(db: Session | Connection) -> Connection:
    return db.connection() if isinstance(db, Session) else db


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


@lru_cache(maxsize=32)
def _insert_sql(mark: str, rows: int) -> str:
    """Many keys per statement; a key already there (another writer's) is left alone."""
    values = ", ".join([f"({mark}, {mark})"] * rows)
    return f"INSERT INTO person_key (key, person_id) VALUES {values} ON CONFLICT DO NOTHING"


def write_keys(db: Session | Connection,
               persons: Iterable[tuple[int, str, str, str]], *, replace: bool = True) -> int:
    """Store the keys of ``persons`` (id, first name, last name, e-mail), replacing their
    old keys (``replace=False``: persons just inserted, who have none). Driver-level
    statements of many rows, bound values only; returns how many keys were written."""
    conn = _conn(db)
    persons = list(persons)
    if replace and conn.dialect.name == "postgresql":  # one array: an index scan
        conn.exec_driver_sql("DELETE FROM person_key WHERE person_id = ANY(%s)",
                             ([p[0] for p in persons],))
    elif replace:
        m = _mark(conn)
        ids = [p[0] for p in persons]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            conn.exec_driver_sql(
                f"DELETE FROM person_key WHERE person_id IN ({', '.join([m] * len(chunk))})",
                tuple(chunk))
    return insert_pairs(conn, key_pairs(persons))


def insert_pairs(db: Session | Connection, pairs: Sequence[tuple[str, int]], *,
                 new: bool = False) -> int:
    """Insert ``(key, person id)`` pairs (``key_pairs``): statements of ``_ROWS`` keys
    each in one executemany, then one statement for the rest. ``new``: the persons were
    inserted in this transaction and have no keys yet, so on PostgreSQL the pairs are
    COPYed straight into the table (nothing to leave alone)."""
    conn = _conn(db)
    if conn.dialect.name == "postgresql" and len(pairs) > _ROWS:
        if new:
            return copy_rows(conn, "person_key", ("key", "person_id"), pairs)
        return _copy_pairs(conn, pairs)
    m = _mark(conn)
    count = len(pairs)
    full = count - count % _ROWS
    flat: list[Any] = list(chain.from_iterable(pairs))
    if full:
        values = iter(flat[:full * 2])
        conn.exec_driver_sql(_insert_sql(m, _ROWS), list(zip(*[values] * (2 * _ROWS), strict=True)))
    if full < count:
        conn.exec_driver_sql(_insert_sql(m, count - full), tuple(flat[full * 2:]))
    return count


def _copy_pairs(conn: Connection, pairs: Sequence[tuple[str, int]]) -> int:
    """PostgreSQL, many keys (an import's batch): COPY into a temporary table (dropped
    at commit) and one INSERT ... SELECT from it, leaving keys already there alone, as
    ``pg_bulk`` writes the import's rows (issue 30)."""
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {_NEW_KEYS} ON COMMIT DROP AS "
                         "SELECT key, person_id FROM person_key WITH NO DATA")
    copy_rows(conn, _NEW_KEYS, ("key", "person_id"), pairs)
    conn.exec_driver_sql(f"INSERT INTO person_key (key, person_id) SELECT key, person_id "
                         f"FROM {_NEW_KEYS} ON CONFLICT DO NOTHING")
    conn.exec_driver_sql(f"TRUNCATE {_NEW_KEYS}")
    return len(pairs)


def refresh_keys(db: Session | Connection, person_ids: Sequence[int]) -> int:
    """Rewrite the keys of these persons from what ``person`` holds now."""
    if not person_ids:
        return 0
    conn = _conn(db)
    m = _mark(conn)
    found: list[tuple[int, str, str, str]] = []
    for start in range(0, len(person_ids), 500):
        chunk = tuple(person_ids[start:start + 500])
        found += [tuple(r) for r in conn.exec_driver_sql(  # type: ignore[misc]
            f"SELECT id, first_name, last_name, email FROM person WHERE id IN "
            f"({', '.join([m] * len(chunk))})", chunk)]
    return write_keys(conn, found)


def top_person_id(db: Session | Connection) -> int:
    """The highest person id now (persons inserted after it are ``keys_since``'s)."""
    return int(_conn(db).exec_driver_sql("SELECT coalesce(max(id), 0) FROM person").scalar_one())


def keys_since(db: Session | Connection, after_id: int) -> int:
    """Write the keys of the persons inserted after ``after_id`` (a bulk insert that does
    not return ids: the client importer). Persons another transaction inserted
    meanwhile are either invisible here or get their keys rewritten: harmless."""
    conn = _conn(db)
    m = _mark(conn)
    rows = [tuple(r) for r in conn.exec_driver_sql(
        f"SELECT id, first_name, last_name, email FROM person WHERE id > {m}", (after_id,))]
    return write_keys(conn, rows, replace=False)  # type: ignore[arg-type]
