"""Soft term matching: each content word of a need, aligned with its closest word in an offer.

A sentence vector of a short text blurs its topic into its form: "specjalista od baristyki"
and "native speaker na konwersacje" are both "a person for classes". The words that carry
the topic tell them apart. Each text's content words are lemmatised (simplemma, Polish),
each lemma of the registry is embedded once with the same encoder as the units, and a need
is covered by an offer as far as its words, weighted by rarity, have a close word there.
Words of one synonym set of the domain thesaurus (`data/thesaurus.txt`: "praktykant" and
"stażysta", "eksponat" and "obiekt", "widłowy" and "jezdniowy") count as close whatever
their vectors say: the small encoder misses many such pairs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import numpy as np
from scipy import sparse

_WORD = re.compile(r"[^\W\d_]{3,}")
# Lemmas in more than this share of all texts ("szkoła", "dla", "zajęcia", "kurs", "praktyka")
# are left to the sentence vectors: the word view is for the words that tell topics apart.
# (About 45 lemmas of the seed registry; chosen on dev, where 0.02-0.03 beat 0.05-0.15.)
# A registry of a handful of cards has no such words yet (a lemma needs more than STOP_MIN_DF texts).
STOP_SHARE = 0.03
STOP_MIN_DF = 2
# At most this many new lemmas of one query are embedded at query time.
MAX_UNSEEN = 32


@lru_cache(maxsize=200_000)
def _lemma(word: str) -> str:
    import simplemma

    return simplemma.lemmatize(word, lang="pl")


def lemmas_in_order(text: str) -> list[str]:
    return [_lemma(w) for w in _WORD.findall(text.lower())]


def lemmas(text: str) -> list[str]:
    """The distinct lemmas of a text's words of three letters or more, sorted."""
    return sorted(set(lemmas_in_order(text)))


@lru_cache(maxsize=1)
def thesaurus() -> dict[str, frozenset[int]]:
    """Each word of the domain thesaurus (and its lemma) -> the numbers of the sets it belongs to."""
    sets: dict[str, set[int]] = {}
    text = resources.files("matcher.data").joinpath("thesaurus.txt").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    for number, line in enumerate(rows):
        for word in (w.strip().lower() for w in line.split("|")):
            if word:
                for form in {word, _lemma(word)}:
                    sets.setdefault(form, set()).add(number)
    return {word: frozenset(numbers) for word, numbers in sets.items()}


def _membership(words: Sequence[str], sets: dict[str, frozenset[int]], n_sets: int) -> sparse.csr_matrix:
    """(words, synonym sets) incidence: which of the `n_sets` sets each word belongs to."""
    rows = [(i, n) for i, w in enumerate(words) for n in sets.get(w, ())]
    data = np.ones(len(rows), np.float32)
    return sparse.csr_matrix((data, ([r for r, _ in rows], [n for _, n in rows])), shape=(len(words), n_sets))


def vocabulary(texts: Sequence[str]) -> list[str]:
    """Every lemma of the texts, sorted: what the index embeds."""
    return sorted({lemma for text in texts for lemma in lemmas(text)})


class _Targets:
    """The lemmas of every unit of one kind, flattened so one gather serves all units."""

    def __init__(self, lists: list[np.ndarray]) -> None:
        # An empty unit holds one placeholder so every unit keeps a slot in the flat array.
        flat = np.concatenate([ids if len(ids) else np.array([-1]) for ids in lists] or [np.zeros(0)])
        placeholder = flat < 0
        self.distinct, inverse = np.unique(np.where(placeholder, 0, flat), return_inverse=True)
        # Placeholders point one past the distinct lemmas: at a column that is always 0.
        self.inverse = np.where(placeholder, len(self.distinct), inverse.ravel())
        self.starts = np.r_[0, np.cumsum([max(len(ids), 1) for ids in lists])[:-1]].astype(np.int64)
        self.empty = np.array([len(ids) == 0 for ids in lists], dtype=bool)


class TermModel:
    """Lemma vectors and rarity weights of one index, and each unit kind's lemmas."""

    def __init__(
        self,
        vocab: Sequence[str],
        vectors: np.ndarray,
        texts_by_kind: dict[str, Sequence[str]],
        synonyms: dict[str, frozenset[int]] | None = None,
    ) -> None:
        self.position = {lemma: i for i, lemma in enumerate(vocab)}
        # Synonym sets of every lemma (`thesaurus()` unless given).
        self.synonyms = thesaurus() if synonyms is None else synonyms
        self.n_sets = 1 + max((n for numbers in self.synonyms.values() for n in numbers), default=0)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        # Each unit text is lemmatised once, for the rarity counts and for its kind's targets.
        known = {
            kind: [[self.position[w] for w in lemmas(t) if w in self.position] for t in kind_texts]
            for kind, kind_texts in texts_by_kind.items()
        }
        n_texts = sum(len(lists) for lists in known.values())
        df = np.zeros(len(self.position), np.float64)
        for lists in known.values():
            for ids in lists:
                df[ids] += 1
        self.idf = np.log((n_texts + 1) / (df + 1)).astype(np.float32)
        self.unseen_idf = float(np.log(n_texts + 1))
        self.stop = (df > STOP_SHARE * n_texts) & (df > STOP_MIN_DF)
        self._targets = {
            kind: _Targets([np.array([i for i in ids if not self.stop[i]], np.int64) for ids in lists])
            for kind, lists in known.items()
        }
        # Each kind's distinct lemmas by synonym set, transposed once for the per-query product.
        membership = _membership(list(vocab), self.synonyms, self.n_sets)
        self._target_sets = {kind: membership[t.distinct].T.tocsr() for kind, t in self._targets.items()}

    def unseen(self, texts: Sequence[str], limit: int = MAX_UNSEEN) -> list[str]:
        """Lemmas of the texts that no card uses, in order of appearance: to embed at query time.

        A search for "defibrylator" or "weterynarz" may use words no card has; embedded, they
        still find their close words ("pierwsza pomoc", "zwierzęta") in the offers.
        """
        found = dict.fromkeys(w for text in texts for w in lemmas_in_order(text) if w not in self.position)
        return list(found)[:limit]

    def _topic_words(self, text: str, extra: dict[str, np.ndarray]) -> list[str]:
        return [
            w for w in lemmas(text) if (w in self.position and not self.stop[self.position[w]]) or w in extra
        ]

    def coverage(
        self,
        texts: Sequence[str],
        kind: str,
        sharpen: float,
        extra: dict[str, np.ndarray] | None = None,
        synonym: float = 0.0,
    ) -> np.ndarray:
        """How far each text's words find a close word in each unit of a kind: (texts, units) in [0, 1].

        A word pair counts from cosine `sharpen` up (linearly to 1 at an identical lemma), and
        at least `synonym` when the thesaurus puts both words in one set; each of the text's
        words adds its best pair, weighted by its rarity (idf). `extra` gives vectors of lemmas
        no card uses (see `unseen`); they weigh as the rarest words.
        """
        extra = extra or {}
        target = self._targets.get(kind)
        n_units = len(target.starts) if target is not None else 0
        out = np.zeros((len(texts), n_units), np.float32)
        per_text = [self._topic_words(text, extra) for text in texts]
        words = sorted({w for ws in per_text for w in ws})
        if not n_units or not words:
            return out
        # Every word of every text against every word of every unit, in one product.
        row_of = {w: i for i, w in enumerate(words)}
        known = [self.position.get(w) for w in words]
        matrix = np.stack(
            [self.vectors[i] if i is not None else extra[w] for w, i in zip(words, known, strict=True)]
        )
        weight = np.array([self.idf[i] if i is not None else self.unseen_idf for i in known], np.float32)
        # Word pairs are scored once per distinct lemma, then spread over the lemmas' occurrences.
        closeness = np.zeros((len(words), len(target.distinct) + 1), np.float32)
        np.clip(
            (matrix @ self.vectors[target.distinct].T - sharpen) / (1 - sharpen), 0, 1, out=closeness[:, :-1]
        )
        if synonym > 0:
            ours = _membership(words, self.synonyms, self.n_sets)
            shared = (ours @ self._target_sets[kind]).toarray() > 0
            np.maximum(closeness[:, :-1], synonym * shared, out=closeness[:, :-1])
        best = np.maximum.reduceat(closeness[:, target.inverse], target.starts, axis=1)
        for row, ws in enumerate(per_text):
            if ws:
                rows = [row_of[w] for w in ws]
                out[row] = weight[rows] @ best[rows] / max(float(weight[rows].sum()), math.ulp(1.0))
        out[:, target.empty] = 0
        return out
