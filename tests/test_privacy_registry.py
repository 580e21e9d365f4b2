"""Issue 29: every table is declared in the privacy registry (``quickcrm.privacy.registry``),
so export, forget and show cannot miss one that a new area adds."""

from __future__ import annotations

from quickcrm.areas import metadata
from quickcrm.privacy import registry


def test_every_table_is_declared_in_the_privacy_registry():
    tables = metadata().tables
    missing = sorted(set(tables) - set(registry.BY_NAME))
    assert not missing, (
        f"tables not declared in quickcrm/privacy/registry.py: {missing}: say how each is "
        "tied to a person and what privacy forget does with it (or that it holds none)")
    gone = sorted(set(registry.BY_NAME) - set(tables))
    assert not gone, f"declared but no such table: {gone}"


def test_a_table_with_a_person_like_column_says_how_it_links():
    for name, table in metadata().tables.items():
        declared = registry.BY_NAME[name]
        personal = registry.PERSONAL_COLUMNS & set(table.c.keys())
        if personal:
            assert declared.link != registry.NONE, (
                f"{name} has {sorted(personal)} but is declared as holding no personal data")
        for column in (*declared.columns, *declared.blank, *declared.free_text):
            assert column in table.c, f"{name}.{column} is declared but does not exist"
        if declared.erase == registry.BLANK:
            assert declared.blank, f"{name}: BLANK needs the columns it empties"
        if declared.link == registry.PERSON_ID:
            assert declared.columns, f"{name}: say which columns name the person"
            for column in declared.columns:
                fks = {fk.column.table.name for fk in table.c[column].foreign_keys}
                assert fks == {"person"}, f"{name}.{column} does not point at person"


def test_every_person_id_column_is_declared():
    for name, table in metadata().tables.items():
        for column in table.c:
            if any(fk.column.table.name == "person" for fk in column.foreign_keys):
                assert column.name in registry.BY_NAME[name].columns, (
                    f"{name}.{column.name} points at person: list it in the registry's "
                    "columns, so forget and export follow it")


def test_docs_privacy_lists_every_table_that_holds_personal_data():
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "privacy.md").read_text()
    missing = [t.name for t in registry.TABLES
               if t.link != registry.NONE and f"`{t.name}`" not in text]
    assert not missing, f"docs/privacy.md does not say what these hold: {missing}"
