"""Searches typed without Polish letters get them back from the registry's own words."""

from __future__ import annotations

from matcher.spelling import Respeller, is_polish, plain

REGISTRY = [
    "Zajęcia pływackie dla dzieci z niepełnosprawnościami",
    "Nauka pływania w małych grupach, zajęcia w soboty",
    "Warsztaty ceramiczne: wypalanie prac w piecu",
    "Sąd rodzinny? Nie - sad owocowy i tłocznia soku",
]


def test_plain_drops_polish_letters_in_both_cases():
    assert plain("Łącko, ŻÓŁW, źdźbło") == "Lacko, ZOLW, zdzblo"


def test_a_search_without_polish_letters_gets_the_registrys_spelling():
    respell = Respeller(REGISTRY)
    assert respell.restore("zajecia plywackie dla dzieci") == "zajęcia pływackie dla dzieci"
    # Capitals are kept as typed; a word the registry does not use stays as it is.
    assert respell.restore("Zajecia PLYWANIA robotyka") == "Zajęcia PŁYWANIA robotyka"


def test_a_word_the_registry_uses_as_typed_is_left_alone():
    # "sad" (an orchard) is a word of its own, not "sąd" without its letter.
    assert Respeller(REGISTRY).restore("sad i tlocznia") == "sad i tłocznia"


def test_a_search_with_any_polish_letter_is_taken_as_typed():
    assert Respeller(REGISTRY).restore("pływanie zajecia") == "pływanie zajecia"


def test_the_registrys_most_frequent_spelling_wins():
    assert Respeller(["żółw", "żołw", "żółw"]).restore("zolw") == "żółw"
    assert Respeller(["żołw", "żółw", "żołw"]).restore("zolw") == "żołw"


def test_a_search_is_read_as_polish_unless_more_of_it_is_english():
    assert is_polish("szukamy instruktora robotyki dla klas 4-6")
    assert is_polish("zajęcia pływackie dla dzieci z autyzmem w Krakowie")
    assert is_polish("robotyka")  # neither lexicon outweighs the other: Polish, the registry's language
    assert not is_polish("swimming lessons for children with autism in Kraków")
    assert not is_polish("we need a room for a choir rehearsal")


def test_a_typo_is_corrected_to_the_registrys_word_one_edit_away():
    respell = Respeller(["nauczy starszych ludzi obsługi komputera", "zajęcia dla starszych"])
    # Swapped, left out, added and changed letters; capitals as typed.
    assert (
        respell.correct("Nauzcy starszyh ludzii obsługi komptera")
        == "Nauczy starszych ludzi obsługi komputera"
    )
    # A Polish word the registry does not use is not a typo; short words are left as typed.
    assert respell.correct("defibrylatora dla ludi") == "defibrylatora dla ludi"


def test_the_most_frequent_word_one_edit_away_wins():
    respell = Respeller(["kursy kursy kursy", "karty"])
    assert respell.correct("kurtsy") == "kursy"
