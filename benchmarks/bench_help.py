"""`quickcrm --help` start-up time from the installed wheel against a bare Typer app
with the same command tree (same groups, commands, options and help texts, but no
QuickCRM code at all), in the same run. Target: median at most 1.3x the bare app.

Also (issue 30 item 11) the commands scripts call in loops, against `quickcrm --help` in
the same run: `quickcrm clients count` on a 40-client database (target: within 2x of
--help, in CPU time: on the shared machine wall time swings with the load, CPU time much
less; both are printed) and `quickcrm remind` with nothing due (reported, no target).
Two floors beside them say what part of a command's start-up is not QuickCRM's: the bare
app running `clients count` (Typer parsing the options, which builds Pydantic adapters),
and the bare app's `clients count` importing SQLModel and counting the rows with one
query (what any SQLModel command pays before its own code runs).

    python benchmarks/bench_help.py [--runs 20] [--quick]

The last line printed is one JSON document (``benchmarks/run_all.py`` reads it).

Builds the wheel, installs it (without dependencies) into a fresh venv that sees the
system site-packages, generates the bare app from the real tree and installs it beside
it with a launcher like the console script, then times the two alternately.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _venv import build_wheel, venv_with_wheel

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.3
READ_TARGET = 2.0  # a small read command within 2x of --help


def _lit(value: object) -> str:
    return repr(value)


# the body of the bare app's `clients count` in the SQLModel floor: the import any
# SQLModel command pays, and one count over the relation table
SQL_FLOOR = """\
    import sqlmodel
    from sqlalchemy import text
    engine = sqlmodel.create_engine(db)
    with engine.connect() as conn:
        print(conn.execute(text('SELECT count(*) FROM relation')).scalar())
"""


def bare_app_source(bodies: dict[tuple[str, ...], str] | None = None) -> str:
    """Python source of a Typer app with quickcrm's tree and nothing else (``bodies``:
    the source of some commands' bodies, by their path; the others do nothing)."""
    from quickcrm.cli.tree import is_group, walk

    out = ["import typer", "from typing import Annotated", ""]
    names: dict[tuple[str, ...], str] = {}
    for n, (path, cmd) in enumerate(walk()):
        var = f"g{n}"
        if is_group(cmd):
            names[path] = var
            extra = ", name='quickcrm', pretty_exceptions_enable=False, add_completion=False, " \
                    "context_settings={'help_option_names': ['-h', '--help']}" if len(path) == 1 else ""
            out.append(f"{var} = typer.Typer(help={_lit(cmd.help)}, no_args_is_help=True{extra})")
            if len(path) > 1:
                out.append(f"{names[path[:-1]]}.add_typer({var}, name={_lit(path[-1])})")
            continue
        args, opts = [], []
        for p in cmd.params:
            panel = getattr(p, "rich_help_panel", None)
            common = f"help={_lit(p.help)}, rich_help_panel={_lit(panel)}"
            if p.param_type_name == "argument":
                kind = "list[str]" if p.nargs == -1 else "str"
                default = "" if p.required else " = None"
                args.append(f"{p.name}: Annotated[{kind}, typer.Argument({common})]{default}")
                continue
            decls = ", ".join(_lit(o) for o in [*p.opts, *p.secondary_opts])
            if p.is_flag:
                kind, default = "bool", " = False"
            elif p.multiple:
                kind, default = "list[str] | None", " = None"
            else:
                kind, default = ("str", "") if p.required else ("str | None", " = None")
            opts.append(f"{p.name}: Annotated[{kind}, typer.Option({decls}, {common})]{default}")
        params = ", ".join([*args, *(["*", *opts] if opts else [])])
        out.append(f"@{names[path[:-1]]}.command({_lit(path[-1])}, help={_lit(cmd.help)})")
        body = (bodies or {}).get(path, "    pass\n")
        out.append(f"def c{n}({params}) -> None:\n{body}")
    out += ["app = g0", "", "def main() -> None:", "    app()", ""]
    return "\n".join(out)


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _run(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``cmd``."""
    start, cpu = time.perf_counter(), _cpu()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="3 runs, one warm-up")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wheel = build_wheel(ROOT, work / "dist")
        env_dir = work / "venv"
        python = venv_with_wheel(env_dir, wheel) / "python"
        site = Path(subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True).stdout.strip())
        (site / "bare_quickcrm.py").write_text(bare_app_source())
        (site / "bare_quickcrm_sql.py").write_text(
            bare_app_source({("quickcrm", "clients", "count"): SQL_FLOOR}))
        real = env_dir / "bin" / "quickcrm"
        bare = env_dir / "bin" / "bare-quickcrm"
        bare.write_text(real.read_text().replace("quickcrm.cli.main", "bare_quickcrm"))
        bare.chmod(0o755)
        bare_sql = env_dir / "bin" / "bare-quickcrm-sql"
        bare_sql.write_text(real.read_text().replace("quickcrm.cli.main", "bare_quickcrm_sql"))
        bare_sql.chmod(0o755)
        db = f"sqlite:///{work / 'forty.db'}"
        subprocess.run([str(real), "sample", "generate", "--clients", "40", "--out",
                        str(work / "forty.csv")], cwd=work, check=True, capture_output=True)
        subprocess.run([str(real), "import", "clients", str(work / "forty.csv"), "--db", db],
                       cwd=work, check=True, capture_output=True)
        count = ["clients", "count", "--db", db]
        cmds = {"quickcrm --help": [str(real), "--help"], "bare typer": [str(bare), "--help"],
                "clients count": [str(real), *count],
                "remind (nothing due)": [str(real), "remind", "--db", db],
                "floor: bare clients count": [str(bare), *count],
                "floor: bare + SQLModel count": [str(bare_sql), *count]}
        out = subprocess.run(cmds["bare typer"], capture_output=True, text=True, cwd=work)
        assert out.returncode == 0 and "demo" in out.stdout, out.stderr
        out = subprocess.run(cmds["floor: bare + SQLModel count"], capture_output=True,
                             text=True, cwd=work)
        assert out.returncode == 0 and out.stdout.strip() == "40", out.stderr
        for cmd in cmds.values():  # warm up: byte-code caches, page cache
            for _ in range(1 if args.quick else 3):
                _run(cmd, work)
        wall: dict[str, list[float]] = {name: [] for name in cmds}
        cpu: dict[str, list[float]] = {name: [] for name in cmds}
        for _ in range(runs):
            for name, cmd in cmds.items():
                w, c = _run(cmd, work)
                wall[name].append(w)
                cpu[name].append(c)
    med = {name: statistics.median(t) for name, t in wall.items()}
    mcpu = {name: statistics.median(t) for name, t in cpu.items()}
    help_ = "quickcrm --help"
    ratio = med[help_] / med["bare typer"]
    print(f"medians of {runs} runs, alternating; ratios to quickcrm --help in the same run")
    print(f"{'command':34} {'wall ms':>9} {'CPU ms':>8} {'wall x':>7} {'CPU x':>6}")
    for name in cmds:
        print(f"{name:34} {med[name] * 1000:9.1f} {mcpu[name] * 1000:8.1f} "
              f"{med[name] / med[help_]:7.2f} {mcpu[name] / mcpu[help_]:6.2f}")
    print(f"--help vs bare Typer app: {ratio:.2f}x wall (target <= {TARGET}x): "
          f"{'OK' if ratio <= TARGET else 'TOO SLOW'}")
    count_cpu = mcpu["clients count"] / mcpu[help_]
    count_wall = med["clients count"] / med[help_]
    remind = mcpu["remind (nothing due)"] / mcpu[help_]
    floor = mcpu["floor: bare + SQLModel count"] / mcpu[help_]
    print(f"quickcrm clients count (40 clients): {count_cpu:.2f}x --help in CPU time "
          f"({count_wall:.2f}x wall) (target <= {READ_TARGET}x): "
          f"{'OK' if count_cpu <= READ_TARGET else 'TOO SLOW'}; "
          f"the SQLModel floor is {floor:.2f}x")
    print("(the machine is shared: absolute times vary, the ratios are measured side by side)")
    print(json.dumps({"bench": "bench_help", "results": [
        {"figure": "--help vs bare Typer", "value": round(med[help_] * 1000, 1),
         "unit": "ms", "target": TARGET, "ratio": round(ratio, 2), "pass": ratio <= TARGET},
        {"figure": "clients count vs --help, CPU",
         "value": round(mcpu["clients count"] * 1000, 1), "unit": "CPU ms",
         "target": READ_TARGET, "ratio": round(count_cpu, 2),
         "pass": count_cpu <= READ_TARGET},
        {"figure": "clients count vs --help, wall",
         "value": round(med["clients count"] * 1000, 1), "unit": "ms", "target": None,
         "ratio": round(count_wall, 2), "pass": True},
        {"figure": "floor: bare Typer + SQLModel count vs --help, CPU",
         "value": round(mcpu["floor: bare + SQLModel count"] * 1000, 1), "unit": "CPU ms",
         "target": None, "ratio": round(floor, 2), "pass": True},
        {"figure": "remind (nothing due) vs --help, CPU",
         "value": round(mcpu["remind (nothing due)"] * 1000, 1), "unit": "CPU ms",
         "target": None, "ratio": round(remind, 2), "pass": True}]}))


if __name__ == "__main__":
    main()
