"""The client file's columns: seed 000's Dutch headers (Excel columns A-N) plus the
extra columns QuickCRM needs, with English snake_case aliases. Import, export, the
sample generator and the demo all use this one list, so export -> import round-trips."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    header: str  # the Dutch header written by exports
    field: str  # the English snake_case alias, also accepted by imports
    segment: str | None = None  # key of quickcrm.codes.SEGMENTS for coded columns


CLIENT_COLUMNS: tuple[Column, ...] = (
    Column("Voornaam klant", "first_name"),
    Column("Achternaam klant", "last_name"),
    Column("Relatienummer klant", "relation_number"),
    Column("Plaats klant", "city"),
    Column("Bedrijf klant", "company"),
    Column("Branche klant", "industry", "industry"),
    Column("Omvang klant", "size", "size"),
    Column("Eigendom klant", "ownership", "ownership"),
    Column("Profiel klant", "client_group", "client_group"),
    Column("Levenscyclus", "life_cycle", "life_cycle"),
    Column("Soort ondernemer", "entrepreneur_type", "entrepreneur_type"),
    Column("Naam team", "team"),
    Column("Voornaam relatiemanager", "rm_first_name"),
    Column("Achternaam relatiemanager", "rm_last_name"),
    Column("E-mail klant", "email"),
    Column("E-mail relatiemanager", "rm_email"),
    Column("Adres", "address"),
    Column("Postcode", "postcode"),
    Column("Telefoon klant", "phone"),
    Column("Fase relatie", "stage"),
    Column("Afgemeld", "opted_out"),
    # attention (issue 28): where the relation is, for the monitor's map
    Column("Breedtegraad", "latitude"),
    Column("Lengtegraad", "longitude"),
)

REQUIRED_FIELDS = frozenset({"relation_number"})
