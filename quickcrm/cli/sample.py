"""`quickcrm sample generate`: realistic Dutch client files for trying and benchmarking."""

from pathlib import Path
from typing import Annotated

import typer

from quickcrm.cli.common import Ctx, command

app = typer.Typer(help="Generate realistic Dutch sample data.", no_args_is_help=True)


@command(app, "generate")
def sample_generate(
    c: Ctx,
    clients: Annotated[int, typer.Option("--clients", "-n", min=0,
                                         help="How many clients to write.")],
    out: Annotated[Path, typer.Option("--out", "-o", dir_okay=False,
                                      help="File to write: .csv or .xlsx.")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same rows.")] = 20261123,
    encoding: Annotated[str, typer.Option(help="CSV encoding, e.g. utf-8, utf-8-sig, cp1252.")] = "utf-8",
    delimiter: Annotated[str, typer.Option(help="CSV delimiter: ';', ',' or 'tab'.")] = ";",
) -> None:
    """Write a client file with the import's Dutch headers, deterministic for a seed.

    Example: quickcrm sample generate --clients 100000 --out clients.csv --encoding cp1252
    """
    from quickcrm.sample import write_clients

    with c.progress("generating clients", total=clients) as advance:
        path = write_clients(out, clients, seed=seed, encoding=encoding, delimiter=delimiter,
                             progress=advance)
    c.emit({"path": str(path), "clients": clients, "seed": seed,
            "encoding": encoding if path.suffix.lower() == ".csv" else None,
            "delimiter": delimiter if path.suffix.lower() == ".csv" else None},
           lambda: typer.echo(f"wrote {clients} clients to {path}"))
