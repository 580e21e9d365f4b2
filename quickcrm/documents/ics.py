"""iCalendar invitations (RFC 5545 / iTIP RFC 5546) for appointments, built with the
``icalendar`` package rather than by hand.

What makes Outlook, Apple Calendar and Google Calendar show Accept/Decline:
``METHOD:REQUEST`` with an ``ORGANIZER`` and the recipient as ``ATTENDEE``; an update
or a cancellation (``METHOD:CANCEL``) reuses the ``UID`` with a higher ``SEQUENCE``.
Times are local (``TZID=Europe/Amsterdam``) with the zone's ``VTIMEZONE``; lines end in
CRLF and are folded at 75 octets (the package does both).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

REQUEST, CANCEL = "REQUEST", "CANCEL"


@dataclass(frozen=True)
class Invitation:
    uid: str
    sequence: int
    start: datetime  # aware
    minutes: int
    summary: str
    organizer_name: str
    organizer_email: str
    attendee_name: str
    attendee_email: str
    location: str = ""
    description: str = ""
    timezone: str = "Europe/Amsterdam"


def build(inv: Invitation, *, method: str, stamp: datetime) -> bytes:
    """The VCALENDAR of ``inv`` for ``method`` (REQUEST or CANCEL), as bytes."""
    from icalendar import Calendar, Event, vCalAddress, vText

    if method not in (REQUEST, CANCEL):
        raise ValueError(method)
    tz = ZoneInfo(inv.timezone)
    cal = Calendar()
    cal.add("prodid", "-//QuickCRM//Procedures//NL")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = Event()
    event.add("uid", inv.uid)
    event.add("sequence", inv.sequence)
    event.add("dtstamp", stamp.astimezone(ZoneInfo("UTC")))
    start = inv.start.astimezone(tz)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=inv.minutes))
    event.add("summary", inv.summary)
    if inv.location:
        event.add("location", inv.location)
    if inv.description:
        event.add("description", inv.description)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    event.add("transp", "OPAQUE")
    organizer = vCalAddress(f"mailto:{inv.organizer_email}")
    organizer.params["cn"] = vText(inv.organizer_name or inv.organizer_email)
    event["organizer"] = organizer
    attendee = vCalAddress(f"mailto:{inv.attendee_email}")
    attendee.params["cn"] = vText(inv.attendee_name or inv.attendee_email)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("NEEDS-ACTION")
    attendee.params["rsvp"] = vText("TRUE")
    event.add("attendee", attendee, encode=False)
    cal.add_component(event)
    # the zone's rules around the appointment only (the default spans 1970-2038: 50
    # lines of RDATEs in every invitation)
    cal.add_missing_timezones(first_date=date(start.year - 1, 1, 1),
                              last_date=date(start.year + 2, 1, 1))
    return bytes(cal.to_ical())
