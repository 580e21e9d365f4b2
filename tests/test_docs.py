"""Every command, group and option is documented, and the docs stay in step with the code.

Walks the whole Typer tree, so commands added later are checked too.
"""

from __future__ import annotations

import re
from pathlib import Path

from quickcrm.cli.tree import is_group, markdown, walk
from quickcrm.settings import OPTIONS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_every_command_has_help_with_an_example_and_every_option_has_help():
    problems: list[str] = []
    for path, cmd in walk():
        name = " ".join(path)
        text = (cmd.help or "").strip()
        if not text:
            problems.append(f"{name}: no help text")
            continue
        if is_group(cmd):
            continue
        if not any(line.strip().startswith(f"Example: {name}") for line in text.splitlines()):
            problems.append(f"{name}: docstring needs a line 'Example: {name} ...'")
        for param in cmd.params:
            if not (getattr(param, "help", None) or "").strip():
                problems.append(f"{name}: {param.name} has no help text")
    assert not problems, "\n".join(problems)


def test_every_list_command_takes_csv_as_well_as_json():
    lists = [(path, cmd) for path, cmd in walk() if path[-1] == "list" and not is_group(cmd)]
    assert len(lists) >= 6
    for path, cmd in lists:
        options = {o for p in cmd.params for o in p.opts}
        assert {"--csv", "--json"} <= options, " ".join(path)


def test_top_level_help_lists_every_group_with_its_one_line_help(cli):
    result = cli("--help")
    assert result.exit_code == 0
    root = next(cmd for path, cmd in walk() if path == ("quickcrm",))
    for name, sub in root.commands.items():
        assert name in result.stdout
        assert (sub.help or "").strip().splitlines()[0][:40] in result.stdout


def test_command_reference_is_current():
    assert (DOCS / "commands.md").read_text(encoding="utf-8") == markdown(), (
        "docs/commands.md is out of date: run python scripts/gen_command_docs.py")


def test_configuration_reference_names_every_setting():
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [o.name for o in OPTIONS
               if f"`{o.name}`" not in text or f"`{o.env}`" not in text]
    assert not missing, f"docs/configuration.md lacks: {', '.join(missing)}"
    for option in ("--as", "--db", "--config", "--json", "QUICKCRM_USER", "QUICKCRM_CONFIG"):
        assert f"`{option}" in text, option


def test_readme_mentions_only_commands_that_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paths = {" ".join(p) for p, _ in walk()}
    for line in re.findall(r"^\s*(?:\$ )?(quickcrm(?: [a-z][a-z-]*)*)", readme, re.MULTILINE):
        words = line.split()
        while len(words) > 1 and " ".join(words) not in paths:
            words.pop()
        assert " ".join(words) in paths and len(words) >= 2 or line == "quickcrm", line


def test_users_and_rights_lists_every_action():
    from quickcrm.areas import wire
    from quickcrm.permissions import ACTIONS, RIGHTS

    wire()  # the areas' declared actions, as every entry point has them

    text = (DOCS / "users-and-rights.md").read_text(encoding="utf-8")
    missing = [a for a in ACTIONS if f"| {a} |" not in text]
    missing += [r for r in RIGHTS if f"`{r}`" not in text]
    assert not missing, f"docs/users-and-rights.md lacks: {', '.join(missing)}"
