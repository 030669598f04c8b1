"""Card validation on real data: the seed fiszki pass, and the gazetteer behind the location check."""

from __future__ import annotations

import json

import pytest

from matcher import geo
from matcher.cards import validate_card
from tests.conftest import ROOT

SEED = sorted((ROOT / "seed_data" / "fiszki").glob("*.jsonl"))


@pytest.mark.parametrize("path", SEED, ids=lambda p: p.stem)
def test_every_seed_card_passes_validation(path):
    for line in path.read_text(encoding="utf-8").splitlines():
        card = json.loads(line)
        assert validate_card(card)[1] == [], card["external_id"]


def test_the_limit_from_a_gmina_exceeds_the_spread_of_every_gazetteer_gmina():
    # A seat anywhere among a gmina's listed places passes; the margin is for places not listed.
    spread = max(
        geo.distance_km(a.lat, a.lon, b.lat, b.lon)
        for a in geo.settlements()
        for b in geo.settlements()
        if a.gmina_teryt == b.gmina_teryt
    )
    assert 14 < spread < geo.MAX_KM_FROM_GMINA


def test_kraków_districts_are_places_of_the_city_gmina_and_regions_are_not():
    assert geo.km_from_gmina("1261011", 50.0720, 20.0370) == 0  # Nowa Huta's centre
    tatry = next(p for p in geo.places() if p.town == "Tatry")
    assert geo.km_from_gmina(tatry.gmina_teryt, tatry.lat, tatry.lon) == 0  # at Zakopane, not a place itself
    powiat = next(p for p in geo.places() if p.town == "powiat wielicki")
    assert geo.km_from_gmina(powiat.gmina_teryt, powiat.lat, powiat.lon) > 0  # its mean position


def test_a_gmina_the_gazetteer_lists_no_place_of_is_not_checked():
    assert geo.km_from_gmina("1211042", 50.06, 19.94) is None  # Czorsztyn
