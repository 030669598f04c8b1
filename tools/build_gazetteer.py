"""Build matcher/data/gazetteer.csv from the public geography in ../shared/data/geo.

Joins GeoNames places (CC BY 4.0) to TERYT gminy: a gmina's seat is the GeoNames
place bearing its name (nearest to its powiat's places when the name repeats);
every other place goes to the nearest seat within its powiat. Also writes the TERC lists
beside it: gminy.csv, powiaty.csv and gmina_parts.csv (units that are parts of a gmina:
Kraków's districts, the town and the rural area of an urban-rural gmina).

Run: python tools/build_gazetteer.py [GEO_DIR]
"""

from __future__ import annotations

import csv
import math
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEO = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "geo"
OUT = ROOT / "matcher" / "data" / "gazetteer.csv"

GMINA_KINDS = {"1": "miejska", "2": "wiejska", "3": "miejsko-wiejska"}
# TERC units that are parts of a gmina, not gminy (a card naming one is told the gmina's code):
# the town and the rural area of an urban-rural gmina, and Kraków's districts (delegatury).
PART_KINDS = {"4": "3", "5": "3", "9": "1"}


def ascii_fold(text: str) -> str:
    """Lower-case and strip diacritics (ł too) for joining GeoNames spellings."""
    text = text.replace("ł", "l").replace("Ł", "L")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 12742 * math.asin(math.sqrt(h))


def main() -> None:
    powiats: dict[str, str] = {}
    gminy: list[dict] = []
    parts: list[dict] = []
    with open(GEO / "TERC_malopolskie_2020.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            if row["POW"] and not row["GMI"]:
                powiats["12" + row["POW"]] = row["NAZWA"]
            elif row["RODZ"] in GMINA_KINDS:
                gminy.append(
                    {
                        "gmina_teryt": "12" + row["POW"] + row["GMI"] + row["RODZ"],
                        "gmina": row["NAZWA"],
                        "gmina_kind": GMINA_KINDS[row["RODZ"]],
                        "powiat_teryt": "12" + row["POW"],
                    }
                )
            elif row["RODZ"] in PART_KINDS:
                # Its gmina: the same GMI as a town or rural area, the city's 01 for a district.
                gmi = "01" if row["RODZ"] == "9" else row["GMI"]
                parts.append(
                    {
                        "teryt": "12" + row["POW"] + row["GMI"] + row["RODZ"],
                        "name": row["NAZWA"],
                        "kind": row["NAZWA_DOD"],
                        "gmina_teryt": "12" + row["POW"] + gmi + PART_KINDS[row["RODZ"]],
                    }
                )
    powiat_by_ascii = {ascii_fold(name): code for code, name in powiats.items()}
    for city in ("Kraków", "Nowy Sącz", "Tarnów"):
        powiat_by_ascii[ascii_fold(city)] = next(c for c, n in powiats.items() if n == city)

    # Places with a known powiat (cities1000) anchor each powiat and disambiguate names.
    known_powiat: dict[tuple[str, str], tuple[float, float]] = {}
    powiat_points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    with open(GEO / "geonames_cities1000_malopolska_with_powiat.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = ascii_fold(row["admin2"].replace("Powiat ", ""))
            code = powiat_by_ascii.get(name)
            if code:
                point = (float(row["lat"]), float(row["lon"]))
                known_powiat[(ascii_fold(row["name"]), code)] = point
                powiat_points[code].append(point)
    centre = {
        code: (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))
        for code, pts in powiat_points.items()
    }

    places: list[dict] = []
    with open(GEO / "geonames_cities500_malopolska.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            places.append(
                {
                    "name": row["name"],
                    "point": (float(row["latitude"]), float(row["longitude"])),
                    "population": int(row["population"]),
                }
            )
    by_name: dict[str, list[dict]] = defaultdict(list)
    for place in places:
        by_name[place["name"]].append(place)

    seats: dict[str, dict] = {}
    for gmina in gminy:
        candidates = by_name.get(gmina["gmina"], [])
        code = gmina["powiat_teryt"]
        if not candidates:
            continue
        anchor = known_powiat.get((ascii_fold(gmina["gmina"]), code)) or centre.get(code)
        best = min(candidates, key=lambda p: km(p["point"], anchor) if anchor else -p["population"])
        if anchor and km(best["point"], anchor) > 40:
            continue
        seats[gmina["gmina_teryt"]] = best

    rows = []
    for gmina in gminy:
        seat = seats.get(gmina["gmina_teryt"])
        if seat:
            rows.append(
                {
                    **gmina,
                    "town": seat["name"],
                    "lat": seat["point"][0],
                    "lon": seat["point"][1],
                    "population": seat["population"],
                }
            )
    seat_ids = {id(s) for s in seats.values()}
    # Remaining places: nearest seated gmina, a rough but honest join for villages.
    seated = [(g, seats[g["gmina_teryt"]]) for g in gminy if g["gmina_teryt"] in seats]
    for place in places:
        if id(place) in seat_ids:
            continue
        # A village beside a town belongs to the rural gmina sharing the town's seat.
        gmina, seat = min(
            seated,
            key=lambda gs: (km(gs[1]["point"], place["point"]), gs[0]["gmina_kind"] == "miejska"),
        )
        if km(seat["point"], place["point"]) > 12:
            continue
        rows.append(
            {
                **gmina,
                "town": place["name"],
                "lat": place["point"][0],
                "lon": place["point"][1],
                "population": place["population"],
            }
        )

    rows.sort(key=lambda r: (r["gmina_teryt"], -r["population"]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="") as fh:
        fields = ["town", "gmina", "gmina_kind", "gmina_teryt", "powiat_teryt", "lat", "lon", "population"]
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row[k] for k in fields})
    with open(OUT.with_name("gminy.csv"), "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["gmina_teryt", "name", "kind", "powiat_teryt"])
        for g in gminy:
            writer.writerow([g["gmina_teryt"], g["gmina"], g["gmina_kind"], g["powiat_teryt"]])
    with open(OUT.with_name("powiaty.csv"), "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["powiat_teryt", "name"])
        for code in sorted(powiats):
            writer.writerow([code, powiats[code]])
    with open(OUT.with_name("gmina_parts.csv"), "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["teryt", "name", "kind", "gmina_teryt"])
        writer.writeheader()
        writer.writerows(parts)
    missing = [g["gmina"] for g in gminy if g["gmina_teryt"] not in seats]
    print(f"{len(rows)} places, {len(seats)}/{len(gminy)} gminy seated; unseated: {missing}")


if __name__ == "__main__":
    main()
