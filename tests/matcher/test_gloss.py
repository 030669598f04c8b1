"""English searches read with Polish words: the bundled English -> Polish domain dictionary."""

from __future__ import annotations

from pathlib import Path

from matcher.gloss import dictionary, gloss

DATA = Path(__file__).resolve().parents[2] / "matcher" / "data" / "en_pl.txt"


def test_an_english_search_is_glossed_with_the_polish_words_cards_use():
    assert gloss(
        "an internship for electrical students"
    ) == "staż praktyka elektryczny elektrotechniczny " + (" ".join(dictionary()["student"][:2]))
    # Inflected English forms are looked up by their lemma; each Polish word is given once.
    assert gloss("volunteers help seniors") == gloss("volunteer help senior")
    assert gloss("swimming, swimming!").split().count("pływanie") == 1


def test_words_it_does_not_know_give_no_gloss():
    assert gloss("") == "" and gloss("whatever they would say about it") == ""
    assert gloss("12 ;-)") == ""


def test_more_translations_on_request():
    assert len(gloss("teach", translations=1).split()) == 1
    assert gloss("teach", translations=2).split()[:1] == gloss("teach", translations=1).split()


def test_the_bundled_dictionary_is_well_formed():
    entries = dictionary()
    assert len(entries) >= 1600
    lines = [line for line in DATA.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    for line in lines:
        english, polish = line.split(":", 1)
        assert english == english.strip().lower() and " " not in english, line
        words = [w.strip() for w in polish.split("|")]
        assert 1 <= len(words) <= 4 and all(w and " " not in w and w == w.lower() for w in words), line
