"""One place builds every jinja2 environment and decides escaping (quickcrm.templating):
HTML escapes what people typed, plain-text mail does not, and a QuickScan's texts
cannot reach Python internals."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import quickcrm
from quickcrm import templating

PACKAGE = Path(quickcrm.__file__).parent
BUILDERS = {"Environment", "SandboxedEnvironment", "ImmutableSandboxedEnvironment", "Template"}


def test_no_module_but_templating_builds_a_jinja2_environment():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "templating.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in BUILDERS:
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert found == []


def test_html_escapes_what_a_client_typed_and_plain_text_keeps_it():
    company = 'Smit & Zn <script>alert("x")</script>'
    page = templating.html_template("<p>{{ company }}</p>").render(company=company)
    assert page == "<p>Smit &amp; Zn &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</p>"
    from quickcrm.quickscans.mail import html_message

    mail = html_message(company, company, f"Beste {company},\n\n{company}")
    assert "<script>" not in mail and mail.count("Smit &amp; Zn &lt;script&gt;") == 4
    text = templating.text_template("Beste {{ company }},").render(company=company)
    assert text == f"Beste {company},"


def test_quickscan_texts_fail_on_unknown_names_and_cannot_reach_python_internals():
    from jinja2.exceptions import SecurityError, UndefinedError

    with pytest.raises(UndefinedError):
        templating.text_template("Beste {{ client.voornaam }}").render(client={})
    with pytest.raises(SecurityError):
        templating.text_template("{{ client.__class__.__mro__ }}").render(client="Bas")
