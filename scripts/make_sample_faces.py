"""Write sample_data/faces_<key>.csv for every shipped QuickScan from sample_data/clients.csv.

The faces look like an export of the firm's previous platform: the profile face mostly
as the QuickScan's rule table gives it (a relationship manager corrected a few), an
update face for the clients who filled in an update, the relationship manager's own
judgement for most clients, and for a few a "Datum verzonden" (they received the
personal QuickScan before QuickCRM). Mostly positive or neutral, some negative, some
missing. Deterministic (fixed seed); run again whenever clients.csv changes:

    python scripts/make_sample_faces.py
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from quickcrm import codes
from quickcrm.campaigns.faces import profile_face
from quickcrm.quickscans.definitions import read_file, shipped_dir

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261123
HEADERS = ["Relatienummer klant", "Volgens profiel", "Volgens update",
           "Volgens relatiemanager", "Datum verzonden"]


def _face(rng: random.Random, weights: tuple[int, int, int], missing: float) -> str:
    if rng.random() < missing:
        return ""
    return rng.choices(["1", "2", "3"], weights=weights)[0]


def main() -> None:
    with (ROOT / "sample_data" / "clients.csv").open(encoding="utf-8", newline="") as f:
        clients = list(csv.DictReader(f, delimiter=";"))
    for path in sorted(shipped_dir().glob("*.toml")):
        d = read_file(path)
        rng = random.Random(f"{SEED}-{d.key}")
        out = ROOT / "sample_data" / f"faces_{d.key}.csv"
        with out.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, delimiter=";", lineterminator="\n")
            writer.writerow(HEADERS)
            for c in clients:
                if rng.random() < 0.08:  # not in the old platform's export at all
                    continue
                face = profile_face(
                    d.profile, industry=codes.INDUSTRY.parse(c["Branche klant"]),
                    ownership=codes.OWNERSHIP.parse(c["Eigendom klant"]),
                    size=codes.SIZE.parse(c["Omvang klant"]),
                    client_group=codes.CLIENT_GROUP.parse(c["Profiel klant"]))
                if face is None or rng.random() < 0.1:  # corrected by hand
                    face = _face(rng, (55, 35, 10), 0.0)
                update = _face(rng, (50, 38, 12), 0.55) if d.kind == "personal" else ""
                rm = _face(rng, (60, 32, 8), 0.15)
                sent = ""
                if d.kind == "personal" and rng.random() < 0.05:
                    sent = (date(2026, 6, 1) - timedelta(days=rng.randrange(700))).isoformat()
                writer.writerow([c["Relatienummer klant"], face, update, rm, sent])
        print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
