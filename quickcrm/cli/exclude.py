"""`quickcrm exclude CAMPAIGN`: step 3, leaving individual clients out."""

from pathlib import Path
from typing import Annotated, Any

import typer

from quickcrm.cli.common import Ctx, command, fail, warn


def _report(change: Any) -> dict[str, Any]:
    data = {"campaign": change.campaign, "excluded_now": change.excluded,
            "included_now": change.included, "not_in_selection": change.not_in_selection}
    if change.summary is not None:
        s = change.summary.as_json()
        data.update({k: s[k] for k in ("step2", "excluded", "selected")})
    return data


def _print(data: dict[str, Any]) -> None:
    def listed(items: list[str]) -> str:
        return ", ".join(items[:30]) + (f" ... ({len(items)} in all)" if len(items) > 30 else "")

    typer.echo(f"excluded: {listed(data['excluded_now']) if data['excluded_now'] else 'nobody new'}")
    typer.echo(f"included again: {listed(data['included_now']) if data['included_now'] else 'nobody'}")
    if "selected" in data:
        typer.echo(f"step 2: {data['step2']}, excluded: {data['excluded']}, selected: {data['selected']}")


def exclude_cmd(
    c: Ctx,
    campaign: Annotated[str, typer.Argument(help="The campaign's name (or id).")],
    numbers: Annotated[list[str] | None, typer.Argument(help="Relation numbers.", show_default=False)] = None,
    reason: Annotated[str, typer.Option(help="Why these clients are left out.")] = "",
    file: Annotated[Path | None, typer.Option(
        "--file", help="Relation numbers: one a line, or a csv/xlsx column 'Relatienummer'.")] = None,
    undo: Annotated[bool, typer.Option("--undo", help="Include the given clients again.")] = False,
    download: Annotated[Path | None, typer.Option(
        help="Write step 2 as FILE.xlsx with a column 'Uitsluiten' to mark.")] = None,
    upload: Annotated[Path | None, typer.Option(
        help="Read a marked FILE.xlsx: its marked rows excluded, its unmarked rows "
             "included; clients not in the file keep their exclusion.")] = None,
) -> None:
    """Exclude clients from a draft campaign (step 3), or round-trip the Excel list.

    On a final campaign not sent yet, relation numbers of its frozen selection can still
    be excluded (and taken back with --undo) before sending.

    Example: quickcrm exclude "Voorjaar 2027" 000123 000456 --reason "loopt al traject"
    """
    from quickcrm.campaigns import exclusions as ex

    modes = [m for m in (download, upload) if m is not None]
    if len(modes) > 1 or (modes and (numbers or file or undo)):
        fail("use --download or --upload alone, or give relation numbers / --file")
    rt = c.runtime()
    max_per_rm = int(rt.settings["campaigns.max_per_rm"])
    if download is not None:
        _ = rt.actor
        with rt.session(read_only=True) as s:
            count = ex.download(session=s, campaign=campaign, path=download)
        c.emit({"campaign": campaign, "file": str(download), "rows": count},
               lambda: typer.echo(f"wrote {count} clients to {download}"))
        return
    with rt.session() as s:
        if upload is not None:
            change = ex.upload(session=s, actor=rt.actor, now=rt.clock.now(), campaign=campaign,
                               path=upload, max_per_rm=max_per_rm)
        else:
            given = list(numbers or []) + (ex.read_number_list(file) if file else [])
            change = ex.change_exclusions(session=s, actor=rt.actor, now=rt.clock.now(),
                                          campaign=campaign, numbers=given, reason=reason,
                                          undo=undo, max_per_rm=max_per_rm)
    if change.not_in_selection and not upload:
        warn(f"note: not in the current selection (kept for a re-select): "
             f"{', '.join(change.not_in_selection[:20])}")
    data = _report(change)
    c.emit(data, lambda: _print(data))


def register(app: typer.Typer) -> None:
    """Add ``exclude`` to the top-level app."""
    command(app, "exclude")(exclude_cmd)
