"""The monitor's result as files: an Excel grid (Dutch headers, formulas neutralised
by ``documents.tabular.XlsxWriter``), a PNG of the distribution (matplotlib, imported
only here) and GeoJSON points for a map (the bucket as a property; the seed's map keeps
its own colours, and without a network QuickCRM draws no map tiles itself)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from quickcrm.attention import rules
from quickcrm.documents.tabular import XlsxWriter

COLOURS = {rules.RED: "#d62728", rules.DARKGREY: "#555555", rules.LIGHTGREY: "#b0b0b0",
           rules.BLUE: "#1f77b4", rules.GREEN: "#2ca02c", rules.YELLOW: "#e6c200"}


def write_excel(data: dict[str, Any], path: Path) -> int:
    """The grid of ``data`` (as the reader may see it): one row per relation."""
    sales = data.get("view") == "sales"
    headers = ["Kleur", "Code", "Naam", "Tot.", "dgn", "Bijgewerkt (dgn)"]
    rels = data["relations"]
    with_revenue = bool(rels) and "revenue" in rels[0]
    if with_revenue:
        headers.append("Omzet")
    if sales:
        headers += ["Klasse", "Omzet per contact", "dgn sales"]
    naw = bool(rels) and "city" in rels[0]
    if naw:
        headers += ["Adres", "Postcode", "Plaats"]
    with XlsxWriter(path, headers, title="Aandachtsmonitor") as sheet:
        for r in rels:
            row: list[Any] = [rules.DUTCH.get(r["bucket"], r["bucket"]), r["relation"],
                              r["name"], r["total"], r["days_since"], r["updated_days"]]
            if with_revenue:
                row.append(r["revenue"])
            if sales:
                row += [rules.CLASS_DUTCH.get(r["class"], r["class"]), r["per_contact"],
                        r["sales_days"]]
            if naw:
                row += [r["address"], r["postcode"], r["city"]]
            sheet.append(row)
    return len(rels)


def write_chart(data: dict[str, Any], path: Path) -> None:
    """Bars of the distribution: relations per bucket (or revenue share per class)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    try:
        if data.get("view") == "sales":
            names = [rules.CLASS_DUTCH[d["class"]] for d in data["distribution"]]
            values = [d["count"] for d in data["distribution"]]
            ax.bar(names, values, color=["#d62728", "#1f77b4", "#2ca02c"])
            ax.set_ylabel("Relaties")
        else:
            names = [rules.DUTCH[d["bucket"]] for d in data["distribution"]]
            values = [d["count"] for d in data["distribution"]]
            ax.bar(names, values, color=[COLOURS[d["bucket"]] for d in data["distribution"]],
                   edgecolor="#333333")
            ax.set_ylabel("Relaties")
        ax.set_title(f"Aandachtsmonitor {data['from']} t/m {data['to']}")
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)


def geojson(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A FeatureCollection of the relations with coordinates, and how many had none."""
    features = []
    not_placed = 0
    for r in data["relations"]:
        lat, lon = r.get("latitude"), r.get("longitude")
        if lat is None or lon is None:
            not_placed += 1
            continue
        props = {k: r[k] for k in ("relation", "name", "total", "days_since", "bucket")}
        for key in ("city", "revenue", "class"):
            if key in r:
                props[key] = r[key]
        features.append({"type": "Feature",
                         "geometry": {"type": "Point", "coordinates": [lon, lat]},
                         "properties": props})
    return {"type": "FeatureCollection", "features": features,
            "properties": {"from": data["from"], "to": data["to"], "not_placed": not_placed}
            }, not_placed


def write_geojson(data: dict[str, Any], path: Path) -> tuple[int, int]:
    doc, not_placed = geojson(data)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return len(doc["features"]), not_placed
