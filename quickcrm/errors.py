"""Named exceptions that services raise for a user's mistake.

The CLI prints ``str(exc)`` as one line on stderr and exits 1; nothing else should ever
turn a user error into a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SAFE_ARG = re.compile(r"^[\w@%+=:,./-]+$")


def command_hint(*args: str) -> str:
    """A ``quickcrm`` command line for a message, quoted so that it pastes into a shell
    as is: ``quickcrm campaign finalize "Zomer 2027"`` (double quotes, as every shell
    and Windows' own take them; ``"``, ``$``, a backtick and ``\\`` escaped inside)."""
    def quote(arg: str) -> str:
        if _SAFE_ARG.match(arg):
            return arg
        return '"' + re.sub(r'([\\"$`])', r"\\\1", arg) + '"'

    return " ".join(["quickcrm", *map(quote, args)])


class QuickCRMError(Exception):
    """Base of every error caused by the user's input or the state of their data."""

    def to_json(self) -> dict[str, object] | None:
        """With ``--json``, the JSON document printed on stdout besides the line on
        stderr (None: the line alone); for errors whose details a script needs."""
        return None


class NotPermitted(QuickCRMError):
    """The acting user lacks the right an action needs."""

    def __init__(self, what: str, needs: str) -> None:
        super().__init__(f"not permitted: {what} needs {needs}")
        self.what = what
        self.needs = needs


class UnknownUser(NotPermitted):
    """An acting user who is unknown is refused like any other refusal."""

    def __init__(self, email: str, why: str = "") -> None:
        QuickCRMError.__init__(self, f"not permitted: unknown user {email!r}"
                               + (f" ({why})" if why else ""))
        self.what = "acting"
        self.needs = "a known user"


class InactiveUser(UnknownUser):
    """A deactivated user is refused as acting user too."""

    def __init__(self, email: str) -> None:
        QuickCRMError.__init__(self, f"not permitted: user {email!r} is deactivated")
        self.what = "acting"
        self.needs = "an active user"


class NotFound(QuickCRMError):
    """A named thing (user, client, campaign, ...) does not exist."""


class UnknownCampaign(NotFound):
    """No campaign has the name (or id) given."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"unknown campaign {ref!r}")


class InvalidInput(QuickCRMError):
    """A value given on the command line or in a file is not acceptable."""


def unknown_value(what: str, value: str, known: list[str], *, plural: str = "",
                  limit: int = 30) -> InvalidInput:
    """``unknown team 'Utrech' (known teams: Utrecht, Zwolle)``: a filter value that
    matches nothing is an error, never an empty list; a long list of known values is
    cut to the ones closest to what was typed."""
    import difflib

    if len(known) <= limit:
        shown = ", ".join(known) or "none"
    else:
        close = difflib.get_close_matches(value, known, n=5, cutoff=0.6)
        shown = (f"did you mean {', '.join(close)}? " if close else "") + f"{len(known)} in all"
    return InvalidInput(f"unknown {what} {value!r} (known {plural or what + 's'}: {shown})")


class InvalidState(QuickCRMError):
    """The action does not fit the current state (e.g. selecting on a final campaign)."""


class RecipientsRefused(InvalidState):
    """``campaign finalize`` found selected clients who can no longer be invited (opted
    out, no usable address, faces, relationship manager): nothing is frozen, and
    ``refused`` lists each as ``{relation, reason, detail}``."""

    SHOWN = 10

    def __init__(self, campaign: str, refused: list[dict[str, str]], hint: str) -> None:
        self.campaign, self.refused = campaign, refused
        listed = ", ".join(f"{r['relation']} ({r['detail']})" for r in refused[:self.SHOWN])
        more = len(refused) - self.SHOWN
        if more > 0:
            listed += f" and {more} more (--json lists every one)"
        n = len(refused)
        super().__init__(
            f"campaign {campaign!r} is not finalized: {n} selected client"
            f"{' is' if n == 1 else 's are'} no longer to be invited: {listed}; exclude "
            f"{'it' if n == 1 else 'them'} ({hint}) or correct the client file, then "
            f"finalize again")

    def to_json(self) -> dict[str, object]:
        return {"error": str(self), "campaign": self.campaign, "refused": self.refused}


class ConfigError(QuickCRMError):
    """The configuration file or an environment variable is malformed."""


@dataclass(frozen=True)
class Problem:
    """One problem in a file, where a user finds it: the path as given, the row as a
    spreadsheet numbers it (header = 1) and the column's header as written."""

    file: str | None
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [str(p) for p in (self.file, self.row, self.column) if p is not None]
        return f"{':'.join(where)}: {self.message}" if where else self.message

    def to_json(self) -> dict[str, object]:
        return {"file": self.file, "row": self.row, "column": self.column,
                "message": self.message}


class FileProblems(QuickCRMError):
    """A file has one or more problems, each ``file:row:column: message``.

    Raised when nothing was written; ``problems`` holds every problem found (up to a
    limit) and ``total`` the full count.
    """

    def __init__(self, problems: list[str] | list[Problem], total: int | None = None) -> None:
        self.details = [p if isinstance(p, Problem) else Problem(None, None, None, p)
                        for p in problems]
        self.problems = [str(p) for p in problems]
        self.total = total if total is not None else len(problems)
        shown = "\n".join(self.problems)
        more = self.total - len(problems)
        suffix = f"\n... and {more} more problems" if more > 0 else ""
        super().__init__(shown + suffix)

    def to_json(self) -> dict[str, object]:
        """``--json`` on failure: every problem shown, as fields, and how many in all."""
        return {"errors": [p.to_json() for p in self.details], "error_count": self.total}
