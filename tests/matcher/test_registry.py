"""Registry helpers that need no database."""

from __future__ import annotations

import pytest

from matcher.registry import name_key


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Gminny Ośrodek Kultury „Sokół” w Gdowie", "GMINNY OSRODEK KULTURY SOKOL, W GDOWIE", True),
        ("Szkoła Podstawowa nr 5", "Szkoła  Podstawowa Nr. 5", True),
        ("Kraków-Nowa Huta", "Krakow Nowa Huta", True),
        ("Café Łąka", "cafe laka", True),
        ("Szkoła Podstawowa nr 5", "Szkoła Podstawowa nr 6", False),
        ("Biblioteka Publiczna w Gdowie", "Biblioteka Publiczna w Gdowie Filia", False),
    ],
)
def test_names_are_compared_without_case_diacritics_and_punctuation(a, b, same):
    assert (name_key(a) == name_key(b)) is same
