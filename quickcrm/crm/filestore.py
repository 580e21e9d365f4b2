"""Stored files (seed 001, "Bestanden"): the one module that touches their bytes.

Content-addressed: a file's bytes live once under ``files.path`` (``QUICKCRM_FILES_DIR``,
default ``./files``) at ``ab/cdef…`` (its SHA-256), written to a temporary name and
renamed, mode 0600; rows in ``stored_file`` name it for a person or a dossier. No name a
user gives ever becomes a path: the name shown is the base name only. Because every
byte is reached through this module, erasure (``forget_unused``, after a person is
deleted) removes the bytes no row names any more.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from quickcrm import events
from quickcrm.crm.models import Dossier, StoredFile
from quickcrm.crm.persons import clean, get_person, require_edit
from quickcrm.errors import InvalidInput, InvalidState, NotFound
from quickcrm.permissions import Actor

_CHUNK = 1 << 20


def blob_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:]


def shown_name(path: str) -> str:
    """The base name of what the user gave, whatever its separators: ``../../x`` -> ``x``."""
    name = PureWindowsPath(PurePosixPath(path).name).name
    name = clean(name).strip(". ")
    return (name or "bestand")[:255]


def _store(root: Path, source: Path, max_bytes: int) -> tuple[str, int]:
    """Copy ``source`` into the store; returns (sha256, size). Nothing is left behind
    when it fails."""
    try:
        size = source.stat().st_size
        if not source.is_file():
            raise InvalidInput(f"{source}: not a file")
        if size > max_bytes:
            raise InvalidInput(f"{source}: {size / 1e6:.1f} MB is more than files.max_mb "
                               f"({max_bytes // 1_000_000} MB)")
        root.mkdir(parents=True, exist_ok=True, mode=0o700)  # the owner's alone (issue 29)
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            target = blob_path(root, sha)
            target.parent.mkdir(exist_ok=True, mode=0o700)
            os.chmod(tmp, 0o600)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read the file ({exc.strerror})") from None
    return sha, size


def add_file(*, session: Session, actor: Actor, now: datetime, root: Path, max_mb: int,
             person_id: int, path: Path) -> StoredFile:
    require_edit(actor)
    person = get_person(session, person_id)
    sha, size = _store(root, path, max_mb * 1_000_000)
    row = StoredFile(person_id=person_id, name=shown_name(str(path)), sha256=sha, size=size,
                     added_by=actor.id, at=now)
    session.add(row)
    session.flush()
    events.record(session, kind=events.PERSON_FILE_ADDED, at=now, person_id=person_id,
                  relation_id=person.relation_id, user_id=actor.id, file_id=row.id,
                  name=row.name, size=size)
    session.commit()
    return row


def list_files(*, session: Session, person_id: int | None = None,
               dossier_id: int | None = None) -> list[dict[str, Any]]:
    query = select(StoredFile)
    if person_id is not None:
        get_person(session, person_id)
        query = query.where(col(StoredFile.person_id) == person_id)
    if dossier_id is not None:
        query = query.where(col(StoredFile.dossier_id) == dossier_id)
    return [{"id": f.id, "name": f.name, "size": f.size, "sha256": f.sha256, "at": f.at,
             "person_id": f.person_id, "dossier_id": f.dossier_id}
            for f in session.execute(query.order_by(col(StoredFile.id))).scalars()]


def _get(session: Session, file_id: int) -> StoredFile:
    row = session.get(StoredFile, file_id)
    if row is None:
        raise NotFound(f"unknown file {file_id}")
    return row


def get_file(*, session: Session, actor: Actor, root: Path, file_id: int, out: Path,
             force: bool = False) -> StoredFile:
    """Write the stored file to ``out`` (not over an existing file unless ``force``)."""
    _ = actor
    row = _get(session, file_id)
    if out.is_dir():
        out = out / row.name
    if out.exists() and not force:
        raise InvalidState(f"{out} exists; give --force to overwrite it")
    blob = blob_path(root, row.sha256)
    if not blob.is_file():
        raise InvalidState(f"file {file_id} ({row.name}) is missing from {root}")
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".quickcrm-")
    try:
        with os.fdopen(fd, "wb") as f, blob.open("rb") as src:
            shutil.copyfileobj(src, f, _CHUNK)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return row


def copy_to_dossier(*, session: Session, actor: Actor, now: datetime, file_id: int,
                    number: str) -> StoredFile:
    """The seed's klembord: the same bytes, now also in the dossier."""
    require_edit(actor)
    row = _get(session, file_id)
    dossier = session.execute(select(Dossier).where(
        col(Dossier.number) == number.strip())).scalar_one_or_none()
    if dossier is None:
        raise NotFound(f"unknown dossier {number!r}")
    copy = StoredFile(dossier_id=dossier.id, name=row.name, sha256=row.sha256, size=row.size,
                      added_by=actor.id, at=now)
    session.add(copy)
    session.commit()
    return copy


def forget_unused(session: Session, root: Path, candidates: set[str]) -> int:
    """Remove the bytes of ``candidates`` (SHA-256s) that no row names any more; call it
    after the commit that removed the rows. Returns how many files went."""
    gone = 0
    for sha in candidates:
        used = session.execute(select(col(StoredFile.id)).where(
            col(StoredFile.sha256) == sha).limit(1)).first()
        if used is None:
            blob = blob_path(root, sha)
            if blob.is_file():
                blob.unlink()
                gone += 1
    return gone


def shas_of_person(session: Session, person_id: int) -> set[str]:
    return set(session.execute(select(col(StoredFile.sha256)).where(
        col(StoredFile.person_id) == person_id)).scalars())
