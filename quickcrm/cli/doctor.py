"""`quickcrm doctor`: check the configuration, database, mail, DNS and files (issue 30)."""

from typing import Annotated

import typer

from quickcrm.cli.common import Ctx, command

MARK = {"ok": "[green]ok[/green]     ", "warning": "[yellow]warning[/yellow]",
        "error": "[red]error[/red]  "}


def register(app: typer.Typer) -> None:
    """Add `doctor` as a top-level command of ``app``."""

    @command(app, "doctor", fresh_database=True)
    def doctor(
        c: Ctx,
        strict: Annotated[bool, typer.Option(
            "--strict", help="Warnings fail too (exit 1).")] = False,
        nameserver: Annotated[str | None, typer.Option(
            "--nameserver", help="Ask this DNS server (HOST:PORT) instead of the system's.",
            show_default=False)] = None,
    ) -> None:
        """Check this installation: each line ok / warning / error, with how to fix it.

        Configuration, database (reachable, at head, WAL, writable; never created or
        migrated), mail.url (EHLO, STARTTLS, login; nothing sent), maildir, bounce
        mailbox, SPF/DMARC/DKIM of the sending domains, web.base_url, templates and
        QuickScan definitions, file modes. Exit 1 on an error (with --strict: a warning).

        Example: quickcrm doctor --strict
        """
        from rich.markup import escape

        from quickcrm.cli.common import console
        from quickcrm.ops.doctor import diagnose

        rt = c.runtime()
        result = diagnose(settings=rt.settings, nameserver=nameserver)

        def human() -> None:
            con = console()
            for f in result.findings:
                fix = f" [dim]— {escape(f.fix)}[/dim]" if f.fix and f.status != "ok" else ""
                con.print(f"{MARK[f.status]} {escape(f.check)}: {escape(f.message)}{fix}",
                          highlight=False, soft_wrap=True)
            e, w = result.errors, result.warnings
            con.print(f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}", highlight=False)

        c.emit(result.to_json(), human)
        if result.failed(strict):
            raise typer.Exit(1)
