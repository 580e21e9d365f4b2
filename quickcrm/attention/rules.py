"""The monitor's rules as pure functions over plain values (no I/O): colour buckets,
their ranges and the summary (seed 003), the sales view's classes, RFM quintiles and
the Net Promoter Score (seed 004).

Buckets: a relation without contact moments is red; otherwise, with m the median of
the non-zero totals, darkgrey <= m/4 < lightgrey <= m/2 < blue <= 1.5m < green <= 3m
< yellow. "Little" attention is red + darkgrey + lightgrey, "average" blue, "much"
green + yellow.

Sales classes: with r a relation's revenue per contact moment and R the overall one,
"possibly too little" attention when r > 2R or there is revenue without contacts,
"possibly too much" when r < R/2 or there are contacts without revenue, else
"average"; a relation with neither is excluded.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

RED, DARKGREY, LIGHTGREY, BLUE, GREEN, YELLOW = (
    "red", "darkgrey", "lightgrey", "blue", "green", "yellow")
BUCKETS = (RED, DARKGREY, LIGHTGREY, BLUE, GREEN, YELLOW)
# the upper bound of each bucket after red, as a multiple of the median
FACTORS = {DARKGREY: 0.25, LIGHTGREY: 0.5, BLUE: 1.5, GREEN: 3.0}
LITTLE, AVERAGE, MUCH = "little", "average", "much"
SUMMARY = {RED: LITTLE, DARKGREY: LITTLE, LIGHTGREY: LITTLE, BLUE: AVERAGE, GREEN: MUCH,
           YELLOW: MUCH}
DUTCH = {RED: "rood", DARKGREY: "donkergrijs", LIGHTGREY: "lichtgrijs", BLUE: "blauw",
         GREEN: "groen", YELLOW: "geel"}


def median_of(totals: Sequence[int]) -> float:
    """The median of the non-zero totals (0 when there are none)."""
    nonzero = [t for t in totals if t > 0]
    return float(statistics.median(nonzero)) if nonzero else 0.0


def bucket(total: int, median: float) -> str:
    """The colour of one relation's total, given the median of the non-zero totals."""
    if total <= 0:
        return RED
    for name in (DARKGREY, LIGHTGREY, BLUE, GREEN):
        if total <= FACTORS[name] * median:
            return name
    return YELLOW


@dataclass(frozen=True)
class Range:
    """The totals a bucket holds: ``low``..``high`` (None: no upper bound); an empty
    range (a bound below 1) has low > high."""

    bucket: str
    low: int
    high: int | None

    @property
    def empty(self) -> bool:
        return self.high is not None and self.low > self.high


def ranges(median: float) -> list[Range]:
    """Each bucket's range of whole totals for ``median``."""
    found = [Range(RED, 0, 0)]
    low = 1
    for name in (DARKGREY, LIGHTGREY, BLUE, GREEN):
        high = math.floor(FACTORS[name] * median)
        found.append(Range(name, low, high))
        low = max(low, high + 1)
    found.append(Range(YELLOW, low, None))
    return found


def distribution(totals: Sequence[int]) -> tuple[float, list[dict[str, object]]]:
    """The median and, per bucket in colour order: count, range (min, max; null for
    an empty range or no upper bound) and share of all relations."""
    median = median_of(totals)
    counts = dict.fromkeys(BUCKETS, 0)
    for total in totals:
        counts[bucket(total, median)] += 1
    n = len(totals)
    rows: list[dict[str, object]] = []
    for r in ranges(median):
        rows.append({"bucket": r.bucket, "count": counts[r.bucket],
                     "min": None if r.empty else r.low, "max": None if r.empty else r.high,
                     "share": round(counts[r.bucket] / n, 4) if n else 0.0})
    return median, rows


def summary(buckets: Sequence[str]) -> dict[str, float]:
    """The shares of little, average and much attention."""
    n = len(buckets)
    shares = dict.fromkeys((LITTLE, AVERAGE, MUCH), 0.0)
    for name in buckets:
        shares[SUMMARY[name]] += 1
    return {k: round(v / n, 4) if n else 0.0 for k, v in shares.items()}


# --- the sales view ---------------------------------------------------------------------

TOO_LITTLE, SALES_AVERAGE, TOO_MUCH = "possibly too little", "average", "possibly too much"
CLASSES = (TOO_LITTLE, SALES_AVERAGE, TOO_MUCH)
CLASS_DUTCH = {TOO_LITTLE: "mogelijk onvoldoende", SALES_AVERAGE: "gemiddeld",
               TOO_MUCH: "mogelijk te veel"}


def overall_rate(revenues: Sequence[float], contacts: Sequence[int]) -> float:
    """R: the total revenue per contact moment (0 without contact moments)."""
    moments = sum(contacts)
    return sum(revenues) / moments if moments else 0.0


def sales_class(revenue: float, contacts: int, overall: float) -> str | None:
    """The class of one relation (None: excluded, neither revenue nor contacts)."""
    if contacts <= 0:
        return TOO_LITTLE if revenue > 0 else None
    if revenue <= 0:
        return TOO_MUCH
    rate = revenue / contacts
    if rate > 2 * overall:
        return TOO_LITTLE
    if rate < overall / 2:
        return TOO_MUCH
    return SALES_AVERAGE


def class_table(rows: Sequence[tuple[float, int, str]]) -> list[dict[str, object]]:
    """Per class (revenue, contacts, class of each relation): count, the range of
    revenue per contact moment (null for revenue without contacts), total revenue and
    its share of all revenue."""
    total = sum(r for r, _, _ in rows)
    out: list[dict[str, object]] = []
    for name in CLASSES:
        mine = [(r, c) for r, c, k in rows if k == name]
        rates = [r / c for r, c in mine if c > 0]
        revenue = sum(r for r, _ in mine)
        out.append({"class": name, "count": len(mine),
                    "min_per_contact": round(min(rates), 2) if rates else None,
                    "max_per_contact": round(max(rates), 2) if rates else None,
                    "revenue": round(revenue, 2),
                    "share": round(revenue / total, 4) if total else 0.0})
    return out


# --- metrics (seed 004) -----------------------------------------------------------------

def quintiles(values: Sequence[float]) -> list[int]:
    """Scores 1-5 by rank, higher values scoring higher: the lowest fifth scores 1,
    the highest fifth 5; equal values score alike (the score of the first of them in
    ascending order)."""
    n = len(values)
    order = sorted(range(n), key=lambda i: values[i])
    scores = [0] * n
    first_rank: dict[float, int] = {}
    for rank, i in enumerate(order):
        rank = first_rank.setdefault(values[i], rank)
        scores[i] = 1 + (5 * rank) // n
    return scores


@dataclass(frozen=True)
class Nps:
    promoters: int
    passives: int
    detractors: int

    @property
    def answers(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        """% promoters - % detractors (-100..100); None without answers."""
        n = self.answers
        return None if not n else round(100 * (self.promoters - self.detractors) / n, 1)


def nps(ratings: Sequence[int]) -> Nps:
    """Promoters rate 9-10, detractors 6 or less (on a scale up to 10)."""
    promoters = sum(1 for r in ratings if r >= 9)
    detractors = sum(1 for r in ratings if r <= 6)
    return Nps(promoters, len(ratings) - promoters - detractors, detractors)
