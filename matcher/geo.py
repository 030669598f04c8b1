"""Małopolska geography: powiat names, gmina seats and distances."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

# A loose box around the voivodeship; coordinates outside it are typos.
LAT_RANGE = (49.0, 50.6)
LON_RANGE = (19.0, 21.5)


@dataclass(frozen=True)
class Place:
    """A town or village with its TERYT codes and coordinates."""

    town: str
    gmina: str
    gmina_teryt: str
    powiat_teryt: str
    lat: float
    lon: float


def _rows(name: str) -> list[dict[str, str]]:
    with resources.files("matcher.data").joinpath(name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@cache
def powiat_names() -> dict[str, str]:
    """Map 4-digit powiat TERYT codes to their Polish names."""
    return {row["powiat_teryt"]: row["name"] for row in _rows("powiaty.csv")}


@cache
def places() -> tuple[Place, ...]:
    """Every place of the gazetteer (GeoNames joined to TERYT gminy)."""
    return tuple(
        Place(r["town"], r["gmina"], r["gmina_teryt"], r["powiat_teryt"], float(r["lat"]), float(r["lon"]))
        for r in _rows("gazetteer.csv")
    )


@cache
def gmina_codes() -> frozenset[str]:
    """All 7-digit gmina TERYT codes of Małopolska (TERC register)."""
    return frozenset(row["gmina_teryt"] for row in _rows("gminy.csv"))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 12742.0 * math.asin(math.sqrt(min(1.0, h)))


def in_malopolska_box(lat: float, lon: float) -> bool:
    """Tell whether a point lies in the voivodeship's bounding box."""
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]
