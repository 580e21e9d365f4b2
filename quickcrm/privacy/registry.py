"""Every table QuickCRM has, and what it holds about a person (issue 29).

One declaration per table: how a row is tied to a person (``link``), what ``privacy
forget`` does with the rows that are theirs (``erase``), which columns of everyone's
rows are free text that may name them (``free_text``: blanked by forget, case-
insensitively, wherever the name parts or the e-mail address occur) and, for docs and
``privacy export``, what it holds, why and how long. ``tests/test_privacy_registry.py``
walks ``SQLModel.metadata`` and fails on a table that is not declared here, so a new
area cannot add a table that export, forget and show do not know.

The erasure itself (``quickcrm.privacy.erasure``) reads ``DELETED_BY_PERSON`` and
``FREE_TEXT`` from here; the links that need a join (a step through its contact, an
answer through its invitation) are spelled out there.
"""

from __future__ import annotations

from dataclasses import dataclass

# how a row is tied to a person
PERSON = "person"  # the person row itself
PERSON_ID = "person_id"  # a person_id column (and the others in ``columns``)
CONTACT = "contact"  # through project_contact (a procedure step of their contact)
CAMPAIGN_CLIENT = "campaign_client"  # campaign_client.person_id (the snapshot)
INVITATION = "invitation"  # through campaign_client (their invitation)
RESPONDENT = "respondent"  # their invitation's or landing visit's answers
VISITOR = "visitor"  # landing_visitor.person_id or its e-mail address
MESSAGE = "message"  # an e-mail that refers to them (recipient, ref, person_email)
EVENT = "event"  # event.person_id, or relation_id when the relation is theirs alone
RELATION = "relation"  # the relation (the firm's client: a company), not the person
STAFF = "staff"  # a user of QuickCRM (staff data, not a client's)
NONE = "none"  # holds no personal data

# what forget does with the rows that are theirs
DELETE = "delete"  # the rows go
BLANK = "blank"  # the row stays (for counts), ``blank`` columns emptied
REDACT = "redact"  # an event: details become {"redacted": true}
KEEP = "keep"  # nothing of theirs (free text is still scanned)


@dataclass(frozen=True)
class Table:
    name: str
    link: str
    erase: str
    holds: str  # what, in words (docs/privacy.md)
    why: str = ""
    kept: str = "until erased"
    columns: tuple[str, ...] = ()  # the columns that point at the person (PERSON_ID)
    blank: tuple[str, ...] = ()  # BLANK: emptied in their rows
    free_text: tuple[str, ...] = ()  # scanned in every row for their name and e-mail
    json: bool = False  # the free text columns are JSON documents (strings inside)


_CARD = "the person card (seed 001)"
TABLES: tuple[Table, ...] = (
    # --- the foundation -------------------------------------------------------------
    Table("person", PERSON, DELETE, "name, e-mail, phone, date of birth, address, label, "
          "opt-out", "the client file and the person CRM", columns=("id",)),
    Table("relation", RELATION, KEEP, "the client: company, address, segments, RM",
          "the client file; a company's data, not the person's (kept after forget; a "
          "relation that is theirs alone loses their name parts in company and address, "
          "quickcrm.privacy.erasure)"),
    Table("event", EVENT, REDACT, "the audit trail: who did what and when, about whom; "
          "details may hold old and new values", "audit trail, timelines, contact moments",
          "kept (the audit trail); forget redacts the details of theirs",
          columns=("person_id",), free_text=("details",), json=True),
    Table("team", NONE, KEEP, "team names"),
    Table("app_user", STAFF, KEEP, "staff users: name, e-mail, phone, signature",
          "who acts; names stay in the audit trail (issue 29 item 2)"),
    Table("user_right", STAFF, KEEP, "staff users' rights"),
    Table("user_photo", STAFF, KEEP, "staff users' photos"),
    Table("job_run", NONE, KEEP, "daemon job claims"),
    Table("installation_secret", NONE, KEEP, "the installation's secrets"),
    # --- the person CRM (issue 26) ----------------------------------------------------
    Table("person_key", PERSON_ID, DELETE, "normalised search keys of the name and e-mail",
          "search", columns=("person_id",)),
    Table("property_def", NONE, KEEP, "the admin's property definitions"),
    Table("property_value", PERSON_ID, DELETE, "the person's property values", _CARD,
          columns=("person_id",), free_text=("value",)),
    Table("indicator", NONE, KEEP, "indicator names"),
    Table("person_indicator", PERSON_ID, DELETE, "the person's indicators", _CARD,
          columns=("person_id",)),
    Table("note", PERSON_ID, DELETE, "notes on the card", _CARD, columns=("person_id",),
          free_text=("title", "text")),
    Table("signal", PERSON_ID, DELETE, "follow-ups in the work queue", _CARD,
          columns=("person_id",), free_text=("title",)),
    Table("person_pair", PERSON_ID, DELETE, "links between two persons", _CARD,
          columns=("person_id", "other_id")),
    Table("person_link", PERSON_ID, DELETE, "the person's roles at other relations", _CARD,
          columns=("person_id",)),
    Table("risk_classification", PERSON_ID, DELETE, "risk classes and their motivation "
          "(Wwft)", "the Wwft's customer due diligence", columns=("person_id",),
          free_text=("motivation",)),
    Table("identification", PERSON_ID, DELETE, "identity documents (kind, number, expiry)",
          "the Wwft's customer due diligence", columns=("person_id",)),
    Table("stored_file", PERSON_ID, DELETE, "files on the card (bytes in files.path)",
          _CARD, columns=("person_id",)),
    Table("person_email", PERSON_ID, DELETE, "e-mails on the card, sent and filed (.eml)",
          _CARD, columns=("person_id",), free_text=("subject", "body")),
    Table("saved_query", STAFF, KEEP, "a user's saved searches (may name a person)",
          free_text=("conditions",)),
    Table("dossier", NONE, KEEP, "dossier numbers and dates (the applicants apart)"),
    Table("dossier_applicant", PERSON_ID, DELETE, "who is on a dossier", _CARD,
          columns=("person_id",)),
    Table("dossier_product", NONE, KEEP, "a dossier's products and their status"),
    # --- the respondent core ------------------------------------------------------------
    Table("quickscan", NONE, KEEP, "QuickScan definitions"),
    Table("answer", RESPONDENT, BLANK, "answers to a QuickScan (open texts are personal)",
          "the client's report and the campaign's counts",
          "privacy.answers_days after the campaign closes; forget blanks open texts",
          blank=("value",), free_text=("value",)),
    # --- mail ---------------------------------------------------------------------------
    Table("outbox_message", MESSAGE, BLANK, "every e-mail sent: recipient, subject, status",
          "delivery and its counts", "rows kept for counts; forget blanks theirs",
          blank=("recipient", "subject", "last_error", "bounce_reason"),
          free_text=("subject", "last_error", "bounce_reason")),
    Table("outbox_body", MESSAGE, DELETE, "the text of every e-mail sent", "delivery",
          "privacy.outbox_days after sending"),
    Table("imap_seen", NONE, KEEP, "which bounce-mailbox messages were read (UIDs only)"),
    # --- campaigns (seed 000) -------------------------------------------------------------
    Table("face", RELATION, KEEP, "the relation's Happy Faces"),
    Table("campaign", NONE, KEEP, "campaigns, their criteria and counts"),
    Table("campaign_client", CAMPAIGN_CLIENT, BLANK, "the campaign's snapshot of whom it "
          "invites: name, e-mail, company, RM", "who was invited by whom, frozen at finalize",
          blank=("first_name", "last_name", "email", "person_id"), columns=("person_id",)),
    Table("exclusion", RELATION, KEEP, "relations left out of a campaign, with a reason",
          "the coordinator's step 3", free_text=("reason",)),
    Table("invitation", INVITATION, BLANK, "invitation times, tokens, bounce reasons",
          "the campaign's report (seed 000's Excel)", "kept for counts",
          blank=("bounce_reason", "failed_reason", "copy_refused_reason"),
          free_text=("bounce_reason", "failed_reason", "copy_refused_reason")),
    # --- landing pages --------------------------------------------------------------------
    Table("landing_page", NONE, KEEP, "landing pages"),
    Table("landing_visitor", VISITOR, BLANK, "a visitor's name, company, e-mail, hashed "
          "address and consent", "double opt-in and the visitor's report",
          "privacy.unconfirmed_visitor_days when never confirmed; forget blanks theirs "
          "(consent_at and confirmed_at stay)",
          blank=("first_name", "last_name", "company", "email", "address_hash", "person_id"),
          columns=("person_id",)),
    Table("landing_image", NONE, KEEP, "landing pages' images"),
    # --- procedures (seed 002) ------------------------------------------------------------
    Table("project_role", NONE, KEEP, "project role names"),
    Table("step_type", NONE, KEEP, "step types and their e-mail templates"),
    Table("procedure", NONE, KEEP, "procedures"),
    Table("procedure_step", NONE, KEEP, "a procedure's steps"),
    Table("procedure_transition", NONE, KEEP, "the authorization matrix"),
    Table("close_reason", NONE, KEEP, "close reasons"),
    Table("project", NONE, KEEP, "sales projects"),
    Table("project_member", STAFF, KEEP, "users' roles in projects"),
    Table("project_contact", PERSON_ID, DELETE, "the person as a contact in a project, "
          "with their prospect status", "sales procedures", columns=("person_id",)),
    Table("step_taken", CONTACT, DELETE, "steps taken with a contact, with a note",
          "sales procedures", free_text=("note",)),
    Table("appointment", PERSON_ID, DELETE, "appointments with the person (title, place)",
          "sales procedures and their .ics", columns=("person_id",),
          free_text=("title", "place", "cancel_reason")),
    # --- attention (seed 003) -------------------------------------------------------------
    Table("relation_group", NONE, KEEP, "relation groups"),
    Table("relation_group_member", RELATION, KEEP, "relations in a group"),
    Table("attention_result", STAFF, KEEP, "a user's last attention computation "
          "(relations, counts)", free_text=("result",), json=True),
)

BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# the person CRM's child rows and the procedures' rows, deleted by their person columns
# (step_taken goes through its contact, before the contacts)
DELETED_BY_PERSON: tuple[Table, ...] = tuple(
    t for t in TABLES if t.link == PERSON_ID and t.erase == DELETE)
FREE_TEXT: tuple[Table, ...] = tuple(t for t in TABLES if t.free_text)

# column names that suggest a row is about a person: a table holding one must be declared
# with a link, or as KEEP with the reason in ``holds`` (the registry test reads this)
PERSONAL_COLUMNS = frozenset({
    "person_id", "other_id", "relation_id", "email", "first_name", "last_name", "phone",
    "recipient", "sender", "invitation_id", "landing_visitor_id", "contact_id",
    "campaign_client_id", "date_of_birth", "address", "relation_number"})


def declared(name: str) -> Table:
    return BY_NAME[name]
