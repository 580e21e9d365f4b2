"""`quickcrm --help` start-up time from the installed wheel against a bare Typer app
with the same command tree (same groups, commands, options and help texts, but no
QuickCRM code at all), in the same run. Target: median at most 1.3x the bare app.

Also (issue 30 item 11) the commands scripts call in loops, against `quickcrm --help` in
the same run: `quickcrm clients count` on a 40-client database (target: within 2x of
--help) and `quickcrm remind` with nothing due (reported, no target).

    python benchmarks/bench_help.py [--runs 20] [--quick]

The last line printed is one JSON document (``benchmarks/run_all.py`` reads it).

Builds the wheel, installs it (without dependencies) into a fresh venv that sees the
system site-packages, generates the bare app from the real tree and installs it beside
it with a launcher like the console script, then times the two alternately.
"""

from __future__ import annotations

import argparse
import json
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


def bare_app_source() -> str:
    """Python source of a Typer app with quickcrm's tree and nothing else."""
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
        out.append(f"def c{n}({params}) -> None:\n    pass\n")
    out += ["app = g0", "", "def main() -> None:", "    app()", ""]
    return "\n".join(out)


def _run(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="5 runs")
    args = parser.parse_args()
    runs = 5 if args.quick else args.runs
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wheel = build_wheel(ROOT, work / "dist")
        env_dir = work / "venv"
        python = venv_with_wheel(env_dir, wheel) / "python"
        site = Path(subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True).stdout.strip())
        (site / "bare_quickcrm.py").write_text(bare_app_source())
        real = env_dir / "bin" / "quickcrm"
        bare = env_dir / "bin" / "bare-quickcrm"
        bare.write_text(real.read_text().replace("quickcrm.cli.main", "bare_quickcrm"))
        bare.chmod(0o755)
        db = f"sqlite:///{work / 'forty.db'}"
        subprocess.run([str(real), "sample", "generate", "--clients", "40", "--out",
                        str(work / "forty.csv")], cwd=work, check=True, capture_output=True)
        subprocess.run([str(real), "import", "clients", str(work / "forty.csv"), "--db", db],
                       cwd=work, check=True, capture_output=True)
        cmds = {"quickcrm": [str(real), "--help"], "bare typer": [str(bare), "--help"],
                "clients count": [str(real), "clients", "count", "--db", db],
                "remind (nothing due)": [str(real), "remind", "--db", db]}
        out = subprocess.run(cmds["bare typer"], capture_output=True, text=True, cwd=work)
        assert out.returncode == 0 and "demo" in out.stdout, out.stderr
        for cmd in cmds.values():  # warm up: byte-code caches, page cache
            for _ in range(3):
                _run(cmd, work)
        times: dict[str, list[float]] = {name: [] for name in cmds}
        for _ in range(runs):
            for name, cmd in cmds.items():
                times[name].append(_run(cmd, work))
    med = {name: statistics.median(t) for name, t in times.items()}
    ratio = med["quickcrm"] / med["bare typer"]
    print(f"quickcrm --help, median of {runs}: {med['quickcrm'] * 1000:.1f} ms")
    print(f"bare Typer app, median of {runs}:  {med['bare typer'] * 1000:.1f} ms")
    print(f"ratio: {ratio:.2f}x (target <= {TARGET}x): {'OK' if ratio <= TARGET else 'TOO SLOW'}")
    count = med["clients count"] / med["quickcrm"]
    remind = med["remind (nothing due)"] / med["quickcrm"]
    print(f"quickcrm clients count (40 clients), median of {runs}: "
          f"{med['clients count'] * 1000:.1f} ms = {count:.2f}x --help "
          f"(target <= {READ_TARGET}x): {'OK' if count <= READ_TARGET else 'TOO SLOW'}")
    print(f"quickcrm remind (nothing due), median of {runs}: "
          f"{med['remind (nothing due)'] * 1000:.1f} ms = {remind:.2f}x --help")
    print("(the machine is shared: absolute times vary, the ratios are measured side by side)")
    print(json.dumps({"bench": "bench_help", "results": [
        {"figure": "--help vs bare Typer", "value": round(med["quickcrm"] * 1000, 1),
         "unit": "ms", "target": TARGET, "ratio": round(ratio, 2), "pass": ratio <= TARGET},
        {"figure": "clients count vs --help", "value": round(med["clients count"] * 1000, 1),
         "unit": "ms", "target": READ_TARGET, "ratio": round(count, 2),
         "pass": count <= READ_TARGET},
        {"figure": "remind (nothing due) vs --help",
         "value": round(med["remind (nothing due)"] * 1000, 1), "unit": "ms", "target": None,
         "ratio": round(remind, 2), "pass": True}]}))


if __name__ == "__main__":
    main()
