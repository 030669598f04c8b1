"""English searches read with the Polish words of the cards (a domain dictionary).

A search in English shares no character n-grams or lemmas with Polish cards, so only the
multilingual encoder matched it, and the small encoder reads English → Polish less well
than Polish → Polish. Each English content word is looked up in a bundled English → Polish
dictionary of this domain (`data/en_pl.txt`: "internship: staż | praktyka"), and the Polish
words found make a gloss that the Polish word views (character n-grams, soft term matching)
read in place of the English text. The sentence vector stays the encoder's, of the English text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1)
def dictionary() -> dict[str, tuple[str, ...]]:
    """English word -> its Polish translations, most common first."""
    text = resources.files("matcher.data").joinpath("en_pl.txt").read_text(encoding="utf-8")
    entries: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        if ":" not in line or line.startswith("#"):
            continue
        english, polish = line.split(":", 1)
        words = tuple(w.strip().lower() for w in polish.split("|") if w.strip())
        if english.strip() and words:
            # A word listed in two domains keeps its first line (adding the other's words was
            # worse on dev: 0.654 against 0.662).
            entries.setdefault(english.strip().lower(), words)
    return entries


@lru_cache(maxsize=50_000)
def _english_lemma(word: str) -> str:
    import simplemma

    return simplemma.lemmatize(word, lang="en")


def gloss(text: str, translations: int = 2) -> str:
    """The Polish words of an English text's content words that the dictionary knows ("" if none).

    Each word gives its first `translations` Polish words, in the order of the text; a word
    the dictionary does not know under its form or its English lemma is left out.
    """
    entries = dictionary()
    found: list[str] = []
    for word in _WORD.findall(text.lower()):
        polish = entries.get(word) or entries.get(_english_lemma(word))
        if polish:
            found.extend(w for w in polish[:translations] if w not in found)
    return " ".join(found)
