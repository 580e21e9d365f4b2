"""Regenerate docs/import-headers.md from the one header table (quickcrm/crm/headers.py).

Run after changing the table: python scripts/gen_header_docs.py
tests/test_import_headers.py fails while the file is out of date.
"""

from pathlib import Path

from quickcrm.crm.headers import markdown

OUT = Path(__file__).resolve().parent.parent / "docs" / "import-headers.md"

if __name__ == "__main__":
    OUT.write_text(markdown(), encoding="utf-8")
    print(f"wrote {OUT}")
