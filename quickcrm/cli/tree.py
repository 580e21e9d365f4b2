"""The whole command tree as data: walked by the docs test, rendered into
docs/commands.md (scripts/gen_command_docs.py) and copied into a bare Typer app by the
``--help`` benchmark. It reads the same Click objects ``--help`` prints from, so the
reference cannot drift from the real commands."""

from collections.abc import Iterator
from typing import Any

import typer
import typer.main

COMMON_PANEL = "Common options"


def root() -> Any:
    """The Click group behind ``quickcrm`` (Typer's own bundled Click)."""
    from quickcrm.cli.main import app

    return typer.main.get_command(app)


def walk(cmd: Any = None, path: tuple[str, ...] = ("quickcrm",)) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every group and command with its path, parents first, in registration order."""
    cmd = root() if cmd is None else cmd
    yield path, cmd
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from walk(sub, (*path, name))


def is_group(cmd: Any) -> bool:
    return hasattr(cmd, "commands")


def own_params(cmd: Any) -> list[Any]:
    """A command's parameters without the common ``--as/--db/--config/--json``."""
    return [p for p in cmd.params if getattr(p, "rich_help_panel", None) != COMMON_PANEL]


def _context(cmd: Any, path: tuple[str, ...]) -> Any:
    return cmd.context_class(cmd, info_name=" ".join(path))


def usage(cmd: Any, path: tuple[str, ...]) -> str:
    return " ".join([*path, *cmd.collect_usage_pieces(_context(cmd, path))])


def help_records(cmd: Any, path: tuple[str, ...]) -> list[tuple[str, str]]:
    ctx = _context(cmd, path)
    return [rec for p in own_params(cmd) if (rec := p.get_help_record(ctx)) is not None]


def _help_text(text: str) -> list[str]:
    out: list[str] = []
    for line in (text or "").strip().splitlines():
        line = line.strip()
        if line.startswith("Example:"):
            out += ["Example:", "", "```", line.removeprefix("Example:").strip(), "```"]
        else:
            out.append(line)
    return out


def markdown() -> str:
    """docs/commands.md: one section per group and command."""
    lines = [
        "# Command reference", "",
        "Generated from the command tree by `python scripts/gen_command_docs.py`; it shows",
        "what `--help` shows. Do not edit by hand: change the docstring or option help and",
        "regenerate (a test checks that this file is current).", "",
        "Every command also accepts the common options `--as EMAIL`, `--db URL`,",
        "`--config FILE` and `--json`, after its name; see",
        "[configuration.md](configuration.md#common-options).", "",
    ]
    for path, cmd in walk():
        lines += [f"{'#' * min(len(path) + 1, 4)} {' '.join(path)}", ""]
        lines += [*_help_text(cmd.help or ""), ""]
        if is_group(cmd):
            for name, sub in cmd.commands.items():
                summary = (sub.help or "").strip().splitlines()[0] if sub.help else ""
                lines.append(f"- `{' '.join((*path, name))}`: {summary}")
            lines.append("")
            continue
        lines += ["```", usage(cmd, path), "```", ""]
        records = help_records(cmd, path)
        if records:
            lines += ["| Option | Description |", "|---|---|"]
            lines += [f"| `{opt}` | {text.replace('|', chr(92) + '|')} |" for opt, text in records]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
