"""The sample data generator: deterministic, realistic, and readable by the importer."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from itertools import islice

import pytest

from quickcrm import codes
from quickcrm.crm.columns import CLIENT_COLUMNS
from quickcrm.resources import sample_data_dir
from quickcrm.sample import HEADERS, iter_clients, managers, write_clients

HEAD = {c.field: c.header for c in CLIENT_COLUMNS}


def test_same_seed_same_rows_and_a_prefix_of_a_larger_set():
    assert list(iter_clients(50)) == list(iter_clients(50))
    assert list(islice(iter_clients(500), 20)) == list(iter_clients(20))
    assert list(iter_clients(20, seed=1)) != list(iter_clients(20))


def test_rows_look_like_a_dutch_client_file():
    rows = list(iter_clients(3000))
    assert all(tuple(r) == HEADERS for r in rows)
    numbers = [r[HEAD["relation_number"]] for r in rows]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"\d{6}", n) for n in numbers) and numbers[0].startswith("000")
    assert all(re.fullmatch(r"[1-9]\d{3} [A-Z]{2}", r[HEAD["postcode"]]) for r in rows)
    for field, table in codes.SEGMENTS.items():
        values = {r[HEAD[field]] for r in rows}
        assert all(re.fullmatch(r"\w+\. .+", v) for v in values), field
        assert {table.parse(v) for v in values} <= set(table.codes)
    assert "7. Handel" in {r[HEAD["industry"]] for r in rows}
    teams = Counter(r[HEAD["team"]] for r in rows)
    assert set(teams) == {"Amsterdam", "Utrecht", "Zwolle", "Eindhoven", "Groningen"}
    rms = {(r[HEAD["team"]], r[HEAD["rm_email"]]) for r in rows}
    assert len(rms) == 25 and all(n == 5 for n in Counter(t for t, _ in rms).values())
    emails = [r[HEAD["email"]] for r in rows]
    assert 0.01 < emails.count("") / len(rows) < 0.06
    assert all(e.endswith(".example") for e in emails if e)
    opted_out = sum(r[HEAD["opted_out"]] == "ja" for r in rows)
    assert 0.005 < opted_out / len(rows) < 0.05
    assert any(" van " in f" {r[HEAD['last_name']]} " or r[HEAD["last_name"]].startswith("de ")
               for r in rows)


def test_managers_are_five_per_office_on_the_firm_domain():
    rms = managers()
    assert len(rms) == 25 and len({m.email for m in rms}) == 25
    assert all(m.email.endswith("@accountants.example") for m in rms)


def test_shipped_sample_data_is_what_the_generator_writes(tmp_path):
    shipped = sample_data_dir() / "clients.csv"
    fresh = write_clients(tmp_path / "clients.csv", 600)
    assert fresh.read_bytes() == shipped.read_bytes(), (
        "regenerate: quickcrm sample generate --clients 600 --out sample_data/clients.csv")
    with shipped.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    assert len(rows) >= 500
    assert len({r["Naam team"] for r in rows}) == 5
    assert len({r["E-mail relatiemanager"] for r in rows}) == 25


def test_cp1252_tab_csv_reads_back_as_generated(tmp_path):
    path = write_clients(tmp_path / "c.csv", 400, encoding="cp1252", delimiter="tab")
    raw = path.read_bytes()
    assert b"\t" in raw.splitlines()[0]
    with path.open(encoding="cp1252", newline="") as fh:
        assert list(csv.DictReader(fh, delimiter="\t")) == list(iter_clients(400))


def test_xlsx_keeps_relation_numbers_as_text(tmp_path):
    from python_calamine import CalamineWorkbook

    path = write_clients(tmp_path / "c.xlsx", 50)
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert tuple(sheet[0]) == HEADERS
    expected = list(iter_clients(50))
    assert [row[2] for row in sheet[1:]] == [r[HEAD["relation_number"]] for r in expected]
    assert sheet[1][2].startswith("000")


def test_generated_files_import_cleanly(rt, tmp_path):
    from quickcrm.crm.importer import import_clients

    for name, kwargs in (("c.csv", {"encoding": "cp1252"}), ("c.xlsx", {})):
        path = write_clients(tmp_path / name, 300, **kwargs)
        with rt.session() as s:
            result = import_clients(session=s, actor=rt.actor, now=rt.clock.now(), path=path)
        assert result.rejected == 0 and not result.errors
        assert (result.created, result.unchanged) == ((300, 0) if name == "c.csv" else (0, 300))


def test_cli_generate_writes_the_file_and_reports_json(cli, tmp_path):
    out = tmp_path / "big.csv"
    result = cli("sample", "generate", "--clients", "1000", "--out", out, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["clients"] == 1000 and data["path"] == str(out)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1001


@pytest.mark.parametrize(("args", "message"), [
    (["--out", "x.txt"], "write a .csv or .xlsx file"),
    (["--out", "x.csv", "--encoding", "ascii"], "ascii cannot write"),
    (["--out", "x.csv", "--encoding", "klingon"], "unknown encoding 'klingon'"),
    (["--out", "x.csv", "--delimiter", ";;"], "delimiter must be one character"),
])
def test_cli_generate_refuses_bad_options_in_one_line(cli, args, message):
    result = cli("sample", "generate", "--clients", "200", *args)
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_cli_default_seed_is_the_generators():
    import inspect

    from quickcrm.cli.sample import sample_generate
    from quickcrm.sample import DEFAULT_SEED

    assert inspect.signature(sample_generate).parameters["seed"].default == DEFAULT_SEED
