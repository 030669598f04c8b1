"""Małopolska geography: powiat names, gmina seats and distances."""

from __future__ import annotations

import csv
import dataclasses
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from matcher.spelling import plain

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
    population: int = 0

    def location(self) -> dict[str, str | float]:
        """The place as the API shows a location."""
        return {
            "town": self.town,
            "gmina_teryt": self.gmina_teryt,
            "powiat_teryt": self.powiat_teryt,
            "lat": self.lat,
            "lon": self.lon,
        }


def _rows(name: str) -> list[dict[str, str]]:
    with resources.files("matcher.data").joinpath(name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@cache
def powiat_names() -> dict[str, str]:
    """Map 4-digit powiat TERYT codes to their Polish names."""
    return {row["powiat_teryt"]: row["name"] for row in _rows("powiaty.csv")}


# Kraków's districts and quarters ("w Nowej Hucie", "na Kazimierzu") as places of the city's
# gmina; GeoNames lists only two of them. Population 0: named only with a capital letter.
KRAKOW = ("Kraków", "1261011", "1261")


@cache
def places() -> tuple[Place, ...]:
    """Every place a search may name: the settlements, regions and land powiats."""
    settled = list(settlements())
    return tuple(settled + _regions(settled) + _powiats(settled))


@cache
def settlements() -> tuple[Place, ...]:
    """The gazetteer's towns and villages (GeoNames joined to TERYT gminy), and Kraków's districts."""
    towns = [
        Place(
            r["town"],
            r["gmina"],
            r["gmina_teryt"],
            r["powiat_teryt"],
            float(r["lat"]),
            float(r["lon"]),
            int(r["population"] or 0),
        )
        for r in _rows("gazetteer.csv")
    ]
    known = {p.town for p in towns}
    districts = [
        Place(r["town"], *KRAKOW, float(r["lat"]), float(r["lon"]))
        for r in _rows("krakow_districts.csv")
        if r["town"] not in known
    ]
    return tuple(towns + districts)


def _regions(towns: list[Place]) -> list[Place]:
    """Regions named instead of a town ("na Podhalu", "w Pieninach", "na Sądecczyźnie"), placed
    at a town in their middle (`regions.csv`). Population 0: named only with a capital letter."""
    anchor = {}
    for place in sorted(towns, key=_rank):
        anchor[place.town] = place  # the most populous place of a name last, so it stays
    return [
        dataclasses.replace(anchor[r["anchor"]], town=r["name"], gmina=r["name"], population=0)
        for r in _rows("regions.csv")
    ]


def _powiats(towns: list[Place]) -> list[Place]:
    """Each land powiat as a place ("w powiecie wielickim"), at the mean position of its places.

    Named as "powiat wielicki", two words matched like any other name; the city powiats
    (Kraków, Nowy Sącz, Tarnów) are their towns.
    """
    out = []
    for code, name in powiat_names().items():
        inside = [p for p in towns if p.powiat_teryt == code]
        if not inside or not name.islower():
            continue
        lat = sum(p.lat for p in inside) / len(inside)
        lon = sum(p.lon for p in inside) / len(inside)
        middle = min(inside, key=lambda p: (p.lat - lat) ** 2 + (p.lon - lon) ** 2)
        town = f"powiat {name}"
        out.append(Place(town, town, middle.gmina_teryt, code, round(lat, 5), round(lon, 5), _POWIAT))
    return out


# --- places named in a search ------------------------------------------------------------

# Words after which a search says where (Polish letters folded): "w Krakowie", "koło Bochni",
# "pod Miechowem", "okolice Oświęcimia", "z Tarnowa", "na Kazimierzu"; in English "in Krakow".
_PLACE_PREPOSITIONS = frozenset(
    "w we na kolo pod obok niedaleko okolice okolic okolicach blisko przy z ze nad do wokol "
    "terenie obszarze gmina gminie gminy in near around".split()
)
# A name typed in lower case counts only for a town this large: "w lasku" is not the village Lasek.
TOWN_POPULATION = 5000
# A powiat is named in lower case ("w powiecie wielickim"), so it counts as that large.
_POWIAT = TOWN_POPULATION
_NAME_WORD = re.compile(r"[^\W\d_]+")
# Consonants that alternate before a Polish case ending: Wieliczka -> Wieliczce, Rabka -> Rabce,
# Huta -> Hucie (ł and l are one letter once folded: Skała -> Skale).
_ALTERNATIONS = (("k", "c"), ("g", "dz"), ("r", "rz"), ("ch", "sz"), ("t", "c"), ("d", "dz"))
# The case endings of Polish place names (nouns, adjectives and plurals, Polish letters folded):
# Krakow-ie, Miechow-em, Tarnow-a, Sącz-u, Bochn-i, Wieliczc-e, Limanow-ej, Nowym, Myślenic-ach,
# Oświęcim-ia, Tatrzańsk-iej. A stem followed by anything else is another word ("Bukowinie" is
# not a case of Buków).
_ENDINGS = frozenset(
    "a u e y i o em om ie owi owie ach ami ow ego emu ej ym im ich ymi imi "
    "ia ii iu iem iom iach iami iej iego iemu".split()
) | {""}


def _fold(word: str) -> str:
    """Searches are often typed without Polish letters ("w Nowym Saczu", "kolo Oswiecimia"):
    names and words are compared without them."""
    return plain(word.lower())


@cache
def _stems(name_word: str) -> frozenset[str]:
    """The stems a name word's case forms start with: Kraków -> krakow, Wieliczka -> wieliczk, wieliczc."""
    base = _fold(name_word).rstrip("aeiouy")
    stems = {base}
    stems.update(base[: -len(a)] + b for a, b in _ALTERNATIONS if base.endswith(a))
    # The vowel alternates too before a soft ending: Miasto -> Mieście, powiat -> powiecie.
    stems.update(s[: s.rindex("ia")] + "ie" + s[s.rindex("ia") + 2 :] for s in list(stems) if "ia" in s[-4:])
    return frozenset(s for s in stems if len(s) >= 3)


def _same_word(word: str, name_word: str) -> bool:
    folded = _fold(word)
    if folded == _fold(name_word):
        return True
    return any(folded.startswith(s) and folded[len(s) :] in _ENDINGS for s in _stems(name_word))


# The second word of a two-word name that only qualifies the first: people often say just the
# first ("w Kalwarii" for Kalwaria Zebrzydowska, "w Mszanie" for Mszana Dolna).
_QUALIFIER = re.compile(
    r"(?:(?:[sc]k|dzk)(?:a|i|ie)|^(?:doln|górn|niżn|wyżn|mał)[aeyi]|^wielk(?:a|i|ie))$", re.IGNORECASE
)


def _rank(place: Place) -> tuple[int, bool]:
    return place.population, place.gmina_teryt.endswith("1")


@cache
def _names() -> dict[str, list[tuple[tuple[str, ...], Place, bool]]]:
    """Gazetteer names by the first three letters their case forms start with.

    Within a key the longest names come first, then the most populous place of a name (a
    town's urban gmina before its rural one). The flag marks a shortened name ("Kalwaria"):
    it counts only when written with a capital letter, and never over a place of that name.
    """
    full: dict[tuple[str, ...], Place] = {}
    short: dict[tuple[str, ...], Place] = {}
    for place in places():
        words = tuple(_NAME_WORD.findall(place.town))
        names = [words, words[:-1]] if len(words) > 1 and words[-1].lower() == "zdrój" else [words]
        if words[0] == "powiat":  # "w pow. wielickim"
            names.append(("pow", *words[1:]))
        for name in names:  # "w Krynicy" for Krynica-Zdrój, in any case
            if name not in full or _rank(place) > _rank(full[name]):
                full[name] = place
        if len(words) == 2 and _QUALIFIER.search(words[1]) and not _QUALIFIER.search(words[0]):
            alias = words[:1]
            if alias not in short or _rank(place) > _rank(short[alias]):
                short[alias] = place
    named = [(words, place, False) for words, place in full.items()]
    named += [(alias, place, True) for alias, place in short.items() if alias not in full]
    by_key: dict[str, list[tuple[tuple[str, ...], Place, bool]]] = {}
    for words, place, shortened in sorted(named, key=lambda item: (-len(item[0]), -item[1].population)):
        for key in {_fold(words[0])[:3], *(stem[:3] for stem in _stems(words[0]))}:
            by_key.setdefault(key, []).append((words, place, shortened))
    return by_key


def find_place(text: str) -> Place | None:
    """The first Małopolska town or village a text names after a preposition, if any.

    Case forms are recognised by stem ("pod Miechowem", "w Nowym Sączu", "koło Bochni");
    the longest name wins ("w Nowym Targu" is not Nowy Sącz), then the most populous place
    of that name. Only towns of TOWN_POPULATION or more may be written in lower case.
    """
    words = _NAME_WORD.findall(text)
    for i, word in enumerate(words[:-1]):
        if _fold(word) not in _PLACE_PREPOSITIONS:
            continue
        for name, place, shortened in _names().get(_fold(words[i + 1])[:3], ()):
            following = words[i + 1 : i + 1 + len(name)]
            capital = following[0][:1].isupper()
            if (
                len(following) == len(name)
                and all(_same_word(w, n) for w, n in zip(following, name, strict=True))
                and (capital or (place.population >= TOWN_POPULATION and not shortened))
            ):
                return place
    return None


@cache
def gmina_names() -> dict[str, str]:
    """Map the 7-digit gmina TERYT codes of Małopolska (TERC register) to their names."""
    return {row["gmina_teryt"]: row["name"] for row in _rows("gminy.csv")}


@cache
def gmina_codes() -> frozenset[str]:
    """All 7-digit gmina TERYT codes of Małopolska (TERC register)."""
    return frozenset(gmina_names())


@dataclass(frozen=True)
class GminaPart:
    """A TERC unit that is part of a gmina, not a gmina: a district (delegatura) of Kraków, or
    the town (miasto) or rural area (obszar wiejski) of an urban-rural gmina."""

    teryt: str
    name: str
    kind: str
    gmina_teryt: str


@cache
def gmina_parts() -> dict[str, GminaPart]:
    """The TERC units that are parts of a gmina, by their 7-digit code."""
    return {row["teryt"]: GminaPart(**row) for row in _rows("gmina_parts.csv")}


# Coordinates farther than this from every gazetteer place of their gmina are a typo or the
# wrong gmina. Measured on the gazetteer: the places of one gmina lie at most 15.0 km apart
# (Kraków's districts; 95% of gminy within 11.9 km), and each of the 544 seed cards lies within
# 2.0 km of a place of its gmina. 57 gminy list only their seat, so a far corner of one may lie
# further from it than any spread the gazetteer shows: 25 km leaves that margin.
MAX_KM_FROM_GMINA = 25.0


@cache
def _settlements_by_gmina() -> dict[str, tuple[Place, ...]]:
    by_gmina: dict[str, list[Place]] = {}
    for place in settlements():
        by_gmina.setdefault(place.gmina_teryt, []).append(place)
    return {code: tuple(inside) for code, inside in by_gmina.items()}


def km_from_gmina(gmina_teryt: str, lat: float, lon: float) -> float | None:
    """How far a point lies from the nearest gazetteer place of a gmina (None: it lists none).

    Only towns, villages and Kraków's districts count, not the regions and powiats a search may
    name, which stand at coordinates borrowed from elsewhere.
    """
    inside = _settlements_by_gmina().get(gmina_teryt)
    return min(distance_km(lat, lon, p.lat, p.lon) for p in inside) if inside else None


def nearest_settlement(lat: float, lon: float) -> Place:
    """The gazetteer's town, village or Kraków district nearest to a point."""
    return min(settlements(), key=lambda p: distance_km(lat, lon, p.lat, p.lon))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 12742.0 * math.asin(math.sqrt(min(1.0, h)))


def box_around(points: list[tuple[float, float]], km: float) -> tuple[float, float, float, float]:
    """A lat/lon box (south, north, west, east) holding every point and all within km of one."""
    lats, lons = [lat for lat, _ in points], [lon for _, lon in points]
    dlat = math.degrees(km / 6371.0)
    # A degree of longitude is shortest at the box's pole-ward edge.
    dlon = dlat / math.cos(math.radians(min(89.0, max(map(abs, lats)) + dlat)))
    return min(lats) - dlat, max(lats) + dlat, min(lons) - dlon, max(lons) + dlon


def in_malopolska_box(lat: float, lon: float) -> bool:
    """Tell whether a point lies in the voivodeship's bounding box."""
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]
