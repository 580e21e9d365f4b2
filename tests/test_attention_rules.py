"""The attention monitor's pure rules (issue 28): buckets, ranges, summary, the sales
classes, RFM quintiles and NPS, on hand-worked tables; and the kinds table covers the
whole event catalogue."""

from __future__ import annotations

import pytest

from quickcrm import events
from quickcrm.attention import kinds, rules

# Seed 003's shape: 16 relations, the first with 488 moments, the last two with none.
SEED = [488, 60, 40, 30, 25, 20, 20, 15, 12, 10, 8, 5, 2, 1, 0, 0]


def test_the_median_is_of_the_non_zero_totals():
    # 1 2 5 8 10 12 [15 20] 20 25 30 40 60 488 -> (15 + 20) / 2
    assert rules.median_of(SEED) == 17.5
    assert rules.median_of([0, 0]) == 0.0


@pytest.mark.parametrize(("total", "expected"), [
    (0, "red"), (1, "darkgrey"), (4, "darkgrey"),   # m/4 = 4.375
    (5, "lightgrey"), (8, "lightgrey"),              # m/2 = 8.75
    (9, "blue"), (26, "blue"),                       # 1.5m = 26.25
    (27, "green"), (52, "green"),                    # 3m = 52.5
    (53, "yellow"), (488, "yellow"),
])
def test_buckets_by_the_median(total, expected):
    assert rules.bucket(total, 17.5) == expected


def test_a_total_on_a_bound_falls_in_the_lower_bucket():
    # m = 8: m/4 = 2, m/2 = 4, 1.5m = 12, 3m = 24
    assert [rules.bucket(t, 8) for t in (2, 3, 4, 5, 12, 13, 24, 25)] == [
        "darkgrey", "lightgrey", "lightgrey", "blue", "blue", "green", "green", "yellow"]


def test_the_seed_shape_distribution_with_ranges_and_shares():
    median, rows = rules.distribution(SEED)
    assert median == 17.5
    assert [(r["bucket"], r["count"], r["min"], r["max"]) for r in rows] == [
        ("red", 2, 0, 0), ("darkgrey", 2, 1, 4), ("lightgrey", 2, 5, 8), ("blue", 6, 9, 26),
        ("green", 2, 27, 52), ("yellow", 2, 53, None)]
    assert [r["share"] for r in rows] == [0.125, 0.125, 0.125, 0.375, 0.125, 0.125]
    buckets = [rules.bucket(t, median) for t in SEED]
    assert rules.summary(buckets) == {"little": 0.375, "average": 0.375, "much": 0.25}


def test_a_range_below_one_is_empty():
    # m = 2: m/4 = 0.5, so no whole total is darkgrey
    _, rows = rules.distribution([2, 2, 1, 0])
    dark = next(r for r in rows if r["bucket"] == "darkgrey")
    assert (dark["count"], dark["min"], dark["max"]) == (0, None, None)
    assert rules.bucket(1, 2) == "lightgrey"


def test_sales_classes_against_the_overall_revenue_per_contact():
    # R = (1000 + 300 + 100 + 0 + 500) / (10 + 1 + 10 + 5 + 0) = 1900 / 26 = 73.08
    rows = [(1000.0, 10), (300.0, 1), (100.0, 10), (0.0, 5), (500.0, 0), (0.0, 0)]
    overall = rules.overall_rate([r for r, _ in rows], [c for _, c in rows])
    assert round(overall, 2) == 73.08
    assert [rules.sales_class(r, c, overall) for r, c in rows] == [
        "average",              # 100 per contact: between R/2 and 2R
        "possibly too little",  # 300 > 2R
        "possibly too much",    # 10 < R/2
        "possibly too much",    # contacts without revenue
        "possibly too little",  # revenue without contacts
        None,                   # neither: excluded
    ]
    table = rules.class_table([(r, c, k) for (r, c), k in zip(
        rows[:5], [rules.sales_class(r, c, overall) for r, c in rows[:5]], strict=True)])
    little = next(t for t in table if t["class"] == "possibly too little")
    assert (little["count"], little["min_per_contact"], little["max_per_contact"],
            little["revenue"], little["share"]) == (2, 300.0, 300.0, 800.0, 0.4211)


def test_quintiles_score_by_rank_and_ties_score_alike():
    assert rules.quintiles([10, 20, 30, 40, 50]) == [1, 2, 3, 4, 5]
    assert rules.quintiles([5, 5, 5, 5]) == [1, 1, 1, 1]
    scores = rules.quintiles(list(range(10)))
    assert scores == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert rules.quintiles([3, 1, 3, 2, 9]) == [3, 1, 3, 2, 5]


def test_nps_promoters_nine_and_up_detractors_six_and_below():
    result = rules.nps([10, 9, 9, 8, 7, 6, 0, 3, 10, 10])
    assert (result.promoters, result.passives, result.detractors) == (5, 2, 3)
    assert result.score == 20.0
    assert rules.nps([]).score is None


def test_every_kind_of_the_catalogue_has_a_row_in_the_kinds_table():
    assert set(kinds.TABLE) == set(events.KINDS), (
        "attention/kinds.py must say of every kind whether it counts: missing "
        f"{sorted(set(events.KINDS) - set(kinds.TABLE))}")


def test_the_kinds_table_counts_what_the_seed_counts():
    counted = {k: kinds.TABLE[k].type for k in kinds.COUNTED}
    assert counted[events.CONTACT_HISTORIE] == "historie"
    assert counted[events.PERSON_NOTE_ADDED] == counted[events.CONTACT_NOTITIE] == "notitie"
    for kind in (events.CONTACT_EMAIL_IN, events.CONTACT_EMAIL_UIT, events.PERSON_EMAIL_SENT,
                 events.PERSON_EMAIL_RECEIVED, events.INVITATION_SENT, events.REMINDER1_SENT,
                 events.REMINDER2_SENT):
        assert counted[kind] == "correspondentie", kind
    for kind in (events.SALES_SUSPECT, events.PROCEDURE_SUSPECT_ADDED,
                 events.SALES_SUSPECT_OFFERTE, events.SALES_OFFERTE,
                 events.SALES_OFFERTE_ORDER, events.SALES_ORDER, events.SALES_OFFERTE_VERVALLEN):
        assert counted[kind] == "sales", kind
    assert counted[events.HELPDESK_CALL] == "helpdesk"
    for kind in (events.SALES_FACTUUR, events.QUICKSCAN_LOGGED_IN, events.QUICKSCAN_FINISHED,
                 events.QUICKSCAN_NOT_INTERESTED, events.LANDING_COMPLETED,
                 events.PERSON_UPDATED, events.RELATION_UPDATED, events.FACES_SET,
                 events.CLIENTS_IMPORTED):
        assert kinds.TABLE[kind].use == "timeline", kind
    assert kinds.TABLE[events.USER_CREATED].use == "ignored"


def test_a_procedure_step_is_history_or_correspondence_by_its_step_kind():
    assert kinds.type_of(events.PROCEDURE_STEP, {"step_kind": "plain"}) == "historie"
    assert kinds.type_of(events.PROCEDURE_STEP, {"step_kind": "appointment"}) == "historie"
    assert kinds.type_of(events.PROCEDURE_STEP, {"step_kind": "email"}) == "correspondentie"


def test_soort_and_kanaal_names_with_english_aliases():
    assert kinds.parse_soort(" Email-Uit ") == events.CONTACT_EMAIL_UIT
    assert kinds.parse_soort("offerte vervallen") == events.SALES_OFFERTE_VERVALLEN
    assert kinds.parse_soort("invoice") == events.SALES_FACTUUR
    assert kinds.parse_soort("brief") is None
    assert kinds.parse_channel("Phone") == "telefoon"
    assert kinds.parse_channel("visit") == "bezoek"
    assert kinds.parse_channel("fax") is None


def test_the_kinds_table_names_each_kind_once():
    """A kind written twice in the literal would silently take the later rule (a merge
    of two branches adding the same kinds did just that)."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(kinds.__file__).read_text(encoding="utf-8"))
    literal = next(node.value for node in ast.walk(tree)
                   if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "TABLE")
    assert isinstance(literal, ast.Dict)
    names = [ast.unparse(k) for k in literal.keys if k is not None]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_days_since_counts_local_calendar_days_around_midnight_and_dst():
    from datetime import UTC, datetime

    from quickcrm.attention.monitor import days_between, days_since

    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    days = days_since(now, "Europe/Amsterdam")
    moments = [datetime(2026, 11, 22, 22, 59, tzinfo=UTC),  # 23:59 local: yesterday
               datetime(2026, 11, 22, 23, 0, tzinfo=UTC),   # 00:00 local: today
               datetime(2026, 10, 24, 21, 59, tzinfo=UTC),  # 23:59 CEST, 24 October
               datetime(2026, 10, 24, 22, 0),               # naive (SQLite): 00:00 CEST
               datetime(2026, 3, 29, 0, 59, tzinfo=UTC)]    # 01:59 CET before the change
    assert [days(m) for m in moments] == [1, 0, 30, 29, 239]
    assert [days(m) for m in moments] == [days_between(m, now, "Europe/Amsterdam")
                                          for m in moments]
    assert days(None) is None
