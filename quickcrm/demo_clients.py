"""What the demo's clients and mail servers do: answer a QuickScan through the web app's
own use cases (``quickcrm.web.respond``), and send back a bounce for one address.

Going through ``respond`` rather than writing rows keeps the demo honest: a finished
client queues its report e-mails with PDF and PowerPoint exactly as in the browser.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Literal

from quickcrm.quickscans.schema import Definition, Question
from quickcrm.runtime import Runtime

Fate = Literal["finish", "decline", "stop", "silent"]

TEXTS = ("Opvolging binnen de familie wordt besproken.",
         "Nog geen plannen; eerst groeien.",
         "Graag een gesprek met onze relatiemanager.",
         "Verkoop aan het management is een optie.")


@dataclass(frozen=True)
class Plan:
    """One client's behaviour: what they do and on which day after the invitation."""

    token: str
    fate: Fate
    day: int


def plan_clients(tokens: list[str], rng: random.Random) -> list[Plan]:
    """About 45% finish (most within two days, some after a reminder), 10% say Nee,
    10% start and stop, the rest stay silent."""
    plans = []
    for token in tokens:
        roll = rng.random()
        fate: Fate = ("finish" if roll < 0.45 else "decline" if roll < 0.55
                      else "stop" if roll < 0.65 else "silent")
        day = rng.choice((0, 0, 0, 1, 1, 2, 3, 4, 5, 7, 8))
        plans.append(Plan(token, fate, day))
    return plans


def answer_for(question: Question, rng: random.Random) -> str:
    if question.type == "choice":
        return f"ke{rng.randint(1, len(question.options))}"
    if question.type == "text":
        return rng.choice(TEXTS)
    low, high = int(question.min or 0), int(question.max or 0)
    step = int(question.step or 1) if question.type == "slider" else 1
    return str(rng.randrange(low, high + 1, step))


def act(rt: Runtime, plan: Plan, rng: random.Random) -> bool:
    """Play one client's visit through the web app's use cases; True when the client
    finished (their report e-mails are then queued)."""
    from quickcrm.quickscans.steps import check_answers
    from quickcrm.web import respond

    with rt.session() as s:
        scan = respond.find_scan(s, plan.token, lock=True)
        assert scan is not None
        respond.choose(s, scan, interested=plan.fate != "decline", now=rt.clock.now())
    if plan.fate == "decline":
        return False
    with rt.session(read_only=True) as s:
        scan = respond.find_scan(s, plan.token)
    assert scan is not None
    questions = _questions(scan.definition)
    if plan.fate == "stop":
        questions = questions[: max(1, len(questions) // 3)]
    changes, errors = check_answers(scan, {q.id: answer_for(q, rng) for q in questions})
    assert not errors, errors
    with rt.session() as s:
        respond.store_answers(s, scan, changes, now=rt.clock.now())
    if plan.fate != "finish":
        return False
    prepared = respond.prepare_report(scan, runtime=rt)
    with rt.session() as s:
        fresh = respond.find_scan(s, plan.token, lock=True)
        assert fresh is not None
        return respond.finish(s, fresh, runtime=rt, prepared=prepared)


def _questions(definition: Definition) -> list[Question]:
    return definition.questions()


DSN = """\
Return-Path: <>
Date: {date}
From: MAILER-DAEMON@mx.kantoor.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {sender}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="demo.bounce/mx.kantoor.example"
Message-Id: <demo-bounce.{stamp}@mx.kantoor.example>

--demo.bounce/mx.kantoor.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{rcpt}>: host mx.example.nl said: 550 5.1.1 <{rcpt}>: Recipient address
    rejected: User unknown in virtual mailbox table

--demo.bounce/mx.kantoor.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.kantoor.example

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822;{rcpt}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.nl
Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User
    unknown in virtual mailbox table

--demo.bounce/mx.kantoor.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

To: <{rcpt}>
Subject: {subject}
Message-ID: {mid}

--demo.bounce/mx.kantoor.example--
"""


def write_bounce(directory: Path, *, recipient: str, message_id: str, subject: str,
                 sender: str, at: datetime) -> Path:
    """A Postfix-style DSN (RFC 3464) for one sent message, in a Maildir at ``directory``."""
    import mailbox

    box = mailbox.Maildir(str(directory), create=True)
    box.add(DSN.format(rcpt=recipient, mid=message_id, subject=subject.replace("\n", " "),
                       sender=sender, date=format_datetime(at),
                       stamp=int(at.timestamp())))
    return directory
