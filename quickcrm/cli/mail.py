"""`quickcrm outbox status|list|deliver|retry`: look into and work the mail outbox."""

from typing import Annotated

import typer

from quickcrm.cli.common import Ctx, NowOpt, command, shown_time

app = typer.Typer(help="The mail outbox: every message QuickCRM sends, and its delivery.",
                  no_args_is_help=True)


@command(app, "status")
def outbox_status(c: Ctx) -> None:
    """Count the messages in each status (queued, sending, deferred, sent, failed, rejected).

    "orphaned": messages in sending whose worker is gone (killed); the next delivery of
    any command (send, remind, outbox deliver, the daemon) takes them over.

    Example: quickcrm outbox status --json
    """
    from quickcrm.mail.outbox import orphaned, status_counts
    from quickcrm.store.claims import lease

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        counts: dict[str, int] = status_counts(s)
        counts["orphaned"] = orphaned(s, now=rt.clock.now(), lease=lease(rt.settings)) \
            if counts["sending"] else 0

    def human() -> None:
        typer.echo("  ".join(f"{k} {v}" for k, v in counts.items() if k != "orphaned"))
        if counts["orphaned"]:
            typer.echo(f"{counts['orphaned']} of the sending messages belong to a worker that "
                       "is gone; the next delivery (outbox deliver, send, remind, the daemon) "
                       "takes them over")

    c.emit(counts, human)


@command(app, "list", listing=True)
def outbox_list(
    c: Ctx,
    status: Annotated[str | None, typer.Option(
        "--status", help="Only messages in this status.", show_default=False)] = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", help="Only messages of this kind (invitation, rm_copy, ...).",
        show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")] = 50,
) -> None:
    """List the newest messages with their status, attempts and last error.

    Example: quickcrm outbox list --status deferred
    """
    from quickcrm.mail.outbox import list_messages

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        rows = list_messages(s, status=status, kind=kind, limit=limit)
    data = [{"id": r.id, "status": r.status, "kind": r.kind, "ref": r.ref,
             "recipient": r.recipient, "subject": r.subject, "message_id": r.message_id,
             "attempts": r.attempts, "next_attempt_at": r.next_attempt_at,
             "sent_at": r.sent_at, "bounced_at": r.bounced_at,
             "last_error": r.last_error} for r in rows]
    tz = c.tz
    c.table(data, ("Id", "Status", "Kind", "Recipient", "Attempts", "Sent / next attempt",
                   "Last error"),
            [(d["id"], d["status"], d["kind"], d["recipient"], d["attempts"],
              shown_time(d["sent_at"], tz) or f"next {shown_time(d['next_attempt_at'], tz)}",
              d["last_error"] or "") for d in data])


@command(app, "deliver")
def outbox_deliver(
    c: Ctx,
    limit: Annotated[int | None, typer.Option(
        "--limit", help="Send at most this many messages.", show_default=False)] = None,
    now: NowOpt = None,
) -> None:
    """Send what is due now through the configured transport (mail.url) and report the results.

    Example: quickcrm outbox deliver --json
    """
    from quickcrm.cli.common import warn
    from quickcrm.mail.service import deliver_outbox

    rt = c.runtime(now=now)
    with c.progress("delivering") as advance:
        counts = deliver_outbox(rt=rt, limit=limit, progress=advance)
    if counts.error:
        warn(f"mail server unavailable, messages stay queued: {counts.error}")
    data = counts.as_dict()
    c.emit(data, lambda: typer.echo("  ".join(f"{k} {v}" for k, v in data.items())))


@command(app, "retry")
def outbox_retry(
    c: Ctx,
    ids: Annotated[list[int] | None, typer.Argument(
        help="Only these message ids (default: all failed).", show_default=False)] = None,
    deferred: Annotated[bool, typer.Option(
        "--deferred", help="Also retry deferred messages now instead of at their time.")] = False,
) -> None:
    """Queue failed messages again (rejected ones, refused with a 5xx, never go again).

    Example: quickcrm outbox retry --deferred
    """
    from quickcrm.mail.service import retry_outbox

    rt = c.runtime()
    count = retry_outbox(rt=rt, deferred=deferred, ids=ids)
    c.emit({"queued": count}, lambda: typer.echo(f"{count} messages queued again"))
