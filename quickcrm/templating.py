"""Every jinja2 environment QuickCRM renders with is built here, so whether output is
escaped is decided in one place, by what the output is:

- HTML (the respondent pages under ``templates/web``, the e-mail layout under
  ``templates/mail``, HTML built from a string such as the bounce digest): autoescape
  ON. The values are names, companies and answers that clients, visitors and imports
  typed; escaped, a ``<script>`` in a company name is shown as text, never run.
- Plain text (a QuickScan's e-mail subjects and bodies): autoescape OFF. A text/plain
  body and a Subject header are not HTML; escaping would show the reader ``&amp;``.
  These texts come from definition files a firm edits and the database keeps, so they
  render in a sandbox (a template cannot reach Python internals through attributes)
  with StrictUndefined (a misspelt variable fails when the definition is loaded or the
  mail is rendered, instead of leaving a gap in thousands of e-mails).

Environments and compiled templates are cached: a send renders two messages for each
of thousands of clients, and a page is rendered per request.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment, Template, nodes


@cache
def _flat(kind: type[Environment]) -> type[Environment]:
    """``kind`` whose templates keep their globals in a plain dict. Every render copies
    a template's globals into its context; jinja keeps them as a ChainMap over the
    environment's, which is slow to copy: a third of rendering a procedure step's
    subject or the mail layout (issue 27). Our environments' globals never change once
    built (jinja asks as much), so a copy at load time reads the same."""

    class Flat(kind):  # type: ignore[valid-type,misc]
        def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
            return {**self.globals, **(d or {})}

    return Flat


@cache
def html_files(folder: str) -> Environment:
    """The HTML templates in ``templates/<folder>`` (``web`` or ``mail``), escaped."""
    from jinja2 import Environment, FileSystemLoader

    from quickcrm.resources import templates_dir

    return _flat(Environment)(loader=FileSystemLoader(str(templates_dir() / folder)),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True,
                              auto_reload=False)


@cache
def _html_strings() -> Environment:
    from jinja2 import Environment

    return _flat(Environment)(autoescape=True)


@lru_cache(maxsize=32)
def html_template(source: str) -> Template:
    """An HTML template written in the code (escaped)."""
    return _html_strings().from_string(source)


@cache
def text_environment() -> Environment:
    """The sandbox for a QuickScan's plain-text mail templates (not escaped); also what
    the definition parser checks their syntax and variables with."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return _flat(SandboxedEnvironment)(autoescape=False, undefined=StrictUndefined,
                                       keep_trailing_newline=True)


@lru_cache(maxsize=512)
def text_template(source: str) -> Template:
    """A QuickScan's subject or body, compiled once per distinct text."""
    env = text_environment()
    try:
        return env.from_string(source)
    except RecursionError:
        raise _too_deep() from None


def parse(env: Environment, source: str) -> nodes.Template:
    """``env.parse(source)``, with a template nested deeper than Python's recursion
    limit refused as a syntax error like any other: jinja's parser is recursive, and a
    subject of a few thousand ``{`` (the fuzzer's, issue 30) crashed the loader."""
    try:
        return env.parse(source)
    except RecursionError:
        raise _too_deep() from None


def _too_deep() -> Exception:
    from jinja2 import TemplateSyntaxError

    return TemplateSyntaxError("the template is nested too deeply", 1)
