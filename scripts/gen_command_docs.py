"""Regenerate docs/commands.md from the command tree (what `--help` prints).

Run after adding or changing a command: python scripts/gen_command_docs.py
tests/test_docs.py fails while the file is out of date.
"""

from pathlib import Path

from quickcrm.cli.tree import markdown

OUT = Path(__file__).resolve().parent.parent / "docs" / "commands.md"

if __name__ == "__main__":
    OUT.write_text(markdown(), encoding="utf-8")
    print(f"wrote {OUT}")
