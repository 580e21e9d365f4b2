"""Where the shipped templates and sample data are: inside the installed package
(``quickcrm/templates``, put there by the wheel build) or in the source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    installed = _PACKAGE / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def templates_dir() -> Path:
    return _find("templates")


def sample_data_dir() -> Path:
    return _find("sample_data")
