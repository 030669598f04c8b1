"""Explanations: built only from parts that counted, in Polish or English, in two voices."""

from __future__ import annotations

from matcher.explain import reasons, render
from matcher.profiles import Profile
from matcher.ranking import Suggestion
from matcher.typology import (
    COMPLEMENTARY_GROUPS,
    COMPLEMENTARY_THEMES,
    TARGET_GROUPS,
    THEMES,
    complementary_terms,
)


def _profile(name: str) -> Profile:
    return Profile(
        "X-1",
        name,
        "employer",
        "company",
        "business",
        "powiat",
        "Wieliczka",
        "1219053",
        "1219",
        49.99,
        20.06,
        "",
        (),
        (),
        ("youth",),
        ("vocational",),
        (),
        "h",
    )


def _suggestion(parts: dict[str, float]) -> Suggestion:
    evidence = {
        "need_offer": {
            "need": "Praktyki dla przyszłych kucharzy",
            "offer": "Staże w kuchni hotelowej",
            "similarity": 0.9,
            "strength": 0.8,
        },
        "offer_need": {
            "need": "Młodzi pracownicy kuchni",
            "offer": "Catering przygotowany przez uczniów",
            "similarity": 0.86,
            "strength": 0.5,
        },
        "sector": {"ours": "2", "theirs": "employer", "relation": "complementary", "why": "2+employer"},
        "reach": {
            "km": 4.2,
            "reach_km": 35.0,
            "closeness": "near",
            "their_scope": "powiat",
            "our_scope": "powiat",
            "same_powiat": True,
        },
        "audience": {"target_groups": ["youth"], "themes": ["vocational"]},
        "profile_similarity": 0.8,
    }
    return Suggestion(_profile("Hotel Pod Szybem"), round(sum(parts.values()), 4), parts, {}, evidence)


FULL = {"complement": 0.6, "reciprocity": 0.2, "sector": 0.2, "reach": 1.0, "audience": 0.1}


def test_third_voice_names_the_asker_and_the_partner():
    s = _suggestion(FULL)
    text = render(reasons(s), s, lang="pl", voice="third", asker="Technikum w Wieliczce")
    assert "Potrzebie instytucji Technikum w Wieliczce «Praktyki dla przyszłych kucharzy»" in text
    assert "oferta Hotel Pod Szybem: «Staże w kuchni hotelowej» (podobieństwo 0.90)" in text
    assert "Technikum w Wieliczce oferuje «Catering przygotowany przez uczniów»" in text
    assert "Blisko: 4 km, ten sam powiat" in text and "obustronna" in text


def test_second_voice_addresses_the_staff():
    s = _suggestion(FULL)
    text = render(reasons(s), s, lang="pl", voice="second", asker="Technikum w Wieliczce")
    assert text.startswith("Waszej potrzebie «Praktyki dla przyszłych kucharzy»")
    assert "Wy oferujecie «Catering przygotowany przez uczniów»" in text
    assert "Technikum w Wieliczce" not in text


def test_english_on_request():
    s = _suggestion(FULL)
    text = render(reasons(s), s, lang="en", voice="second")
    assert text.startswith("Your need «Praktyki dla przyszłych kucharzy» is met by Hotel Pod Szybem's offer")
    assert "Cross-sector cooperation (schools and employers)" in text and "Nearby: 4 km, same county" in text


def test_no_reason_without_the_part_behind_it():
    s = _suggestion({"complement": 0.6, "reach": 1.0})
    kinds = {r["type"] for r in reasons(s)}
    assert kinds == {"their_offer_meets_our_need", "our_offer_meets_their_need", "reach"}
    text = render(reasons(s), s)
    assert "Współpraca" not in text and "Wspólni" not in text and "obustronna" not in text


def test_weak_pairs_and_unshown_directions_are_not_claimed():
    s = _suggestion(FULL)
    s.evidence["offer_need"]["strength"] = 0.05
    kinds = [r["type"] for r in reasons(s)]
    assert "our_offer_meets_their_need" not in kinds
    assert "two_way" not in kinds  # a two-way fit is claimed only with both directions shown


def test_reasons_follow_a_fixed_reading_order():
    s = _suggestion(FULL)
    kinds = [r["type"] for r in reasons(s)]
    assert kinds == [
        "their_offer_meets_our_need",
        "our_offer_meets_their_need",
        "two_way",
        "sector",
        "reach",
        "audience",
    ]


def test_distance_is_worded_by_how_it_counted():
    s = _suggestion(FULL)
    s.evidence["reach"].update(km=28.0, closeness="within", same_powiat=False)
    assert "W zasięgu: 28 km; obszar działania partnera" in render(reasons(s), s)
    s.evidence["reach"].update(km=61.0, closeness="beyond")
    text = render(reasons(s), s, lang="en")
    assert "Beyond both sides' usual reach: 61 km" in text and "lowers the score" in text
    assert "Neither side's area of operation" not in text
    s.evidence["reach"].update(km=12.0, closeness="near", inside_area=False)
    assert "Neither side's area of operation" in render(reasons(s), s, lang="en")
    assert "Blisko: 12 km" in render(reasons(s), s)
    assert "Żadna ze stron nie działa na terenie drugiej" in render(reasons(s), s)


def test_a_need_naming_a_kind_is_explained_by_whether_the_partner_is_one():
    s = _suggestion(FULL)
    need = s.evidence["need_offer"]
    need["named_kind"] = {"kinds": ["employer", "6"], "theirs": "employer", "matches": True}
    pl = render(reasons(s), s, lang="pl", voice="second")
    assert "Ta potrzeba wprost wskazuje taki rodzaj partnera (pracodawcy)." in pl
    need["named_kind"] = {"kinds": ["2", "5"], "theirs": "employer", "matches": False}
    en = render(reasons(s), s, lang="en")
    assert "names another kind of partner (schools, special and correctional education)" in en
    assert "lowers the score" in en


def test_complementary_audiences_are_worded_once_per_reason():
    s = _suggestion(FULL)
    s.evidence["audience"] = {
        "target_groups": [],
        "themes": ["vocational"],
        "complementary_target_groups": [
            {"ours": "seniors", "theirs": "children", "why": "intergenerational"},
            {"ours": "seniors", "theirs": "youth", "why": "intergenerational"},
        ],
    }
    text = render(reasons(s), s)
    assert (
        "Wspólne tematy: kształcenie zawodowe; uzupełniający się odbiorcy: seniorzy i dzieci, młodzież"
        in text
    )
    assert text.count("międzypokoleniowe") == 1
    english = render(reasons(s), s, lang="en")
    assert (
        "complementary audiences: seniors and the partner's children, young people (intergenerational"
        in english
    )


def test_complementary_tables_name_known_keys_only():
    for table, terms in ((COMPLEMENTARY_GROUPS, TARGET_GROUPS), (COMPLEMENTARY_THEMES, THEMES)):
        for pair, reason in table.items():
            assert len(pair) == 2 and pair <= set(terms), pair
            assert reason.pl and reason.en
    assert complementary_terms(["seniors", "adults"], ["adults", "children"], COMPLEMENTARY_GROUPS) == [
        ("seniors", "children", COMPLEMENTARY_GROUPS[frozenset(("seniors", "children"))])
    ]


def test_a_fit_that_came_from_the_whole_card_is_explained_by_the_profile():
    s = _suggestion(FULL)
    s.evidence["need_offer"]["strength"] = 0.2  # no offer meets the need well enough to name it
    s.evidence["need_profile"] = {
        "need": "Praktyki dla przyszłych kucharzy",
        "offer": None,
        "similarity": 0.82,
        "strength": 0.45,
    }
    rows = reasons(s)
    assert rows[0]["type"] == "their_offer_meets_our_need" and rows[0]["offer"] is None
    text = render(rows, s, voice="second")
    assert text.startswith(
        "Waszej potrzebie «Praktyki dla przyszłych kucharzy» odpowiada profil działalności Hotel Pod Szybem"
        " (podobieństwo 0.82)."
    )
    assert "Staże w kuchni hotelowej" not in text


def test_a_strong_offer_is_named_before_the_profile():
    s = _suggestion(FULL)
    s.evidence["need_profile"] = {"need": "Praktyki", "offer": None, "similarity": 0.9, "strength": 0.5}
    assert "«Staże w kuchni hotelowej» (podobieństwo 0.90)" in render(reasons(s), s)


def test_a_search_met_by_the_profile_states_the_similarity_once():
    s = _suggestion({"complement": 0.45, "profile": 0.09})
    s.evidence = {
        "query_profile": {"need": "boccia", "offer": None, "similarity": 0.88, "strength": 0.47},
        "profile_similarity": 0.88,
    }
    text = render(reasons(s), s)
    assert text == "Wyszukiwaniu odpowiada profil działalności tej instytucji (podobieństwo 0.88)."
    weak = {"need": "boccia", "offer": None, "similarity": 0.6, "strength": 0.2}
    s.evidence["query_profile"] = weak  # too weak to state: the profile part says it instead
    assert render(reasons(s), s, lang="en") == "A similar profile of activity (similarity 0.88)."
