"""Which kind of institution a need asks for, when its words name one.

Many needs open by naming the partner they want: "Firmy budowlane gotowe przyjąć studentów
na praktyki", "Szkoły ponadpodstawowe zainteresowane patronatem", "Muzeum lub instytucja
kultury, w której uczniowie poćwiczą oprowadzanie". A school with a building workshop may
describe the same practice, but the asker said firms. The words below name the kinds of the
typology (`typology.CATEGORIES`) by their lemmas; a need names the kinds of the phrases found
among its opening words, and institutions of other kinds meet it at a discount
(`RankingConfig.named_kind`).
"""

from __future__ import annotations

from functools import lru_cache

from matcher.terms import lemmas_in_order

# A need names a kind only in its opening words: "Firmy budowlane…", "Miejsca praktyk w
# firmach…". Further on, a kind is usually context ("…dla uczniów naszej szkoły"), as it is
# after "dla" anywhere: "Zajęcia dla szkół" names whom the activity is for, not the partner.
OPENING_WORDS = 3

_UNIVERSITY, _SCHOOL, _TRAINING_CENTRE, _CULTURE = "1", "2", "3", "4"
_SPECIAL, _TRAINING_FIRM, _HOBBY_SPORT, _AGRICULTURE = "5", "6", "7", "8"
_NGO, _EMPLOYER, _PUBLIC = "ngo", "employer", "public"

# Lemma phrases (as simplemma gives them) and the categories they name. A longer phrase wins
# over its first word: "dom kultura" is a culture institution, "szkoła językowy" a training firm.
KIND_PHRASES: dict[tuple[str, ...], frozenset[str]] = {
    tuple(phrase.split()): frozenset(kinds)
    for phrase, kinds in (
        ("uczelnia", {_UNIVERSITY}),
        ("uniwersytet", {_UNIVERSITY}),
        ("politechnika", {_UNIVERSITY}),
        ("akademia", {_UNIVERSITY}),
        ("uniwersytet trzeci wiek", {_NGO}),
        ("utw", {_NGO}),
        ("szkoła", {_SCHOOL, _SPECIAL}),
        ("technikum", {_SCHOOL}),
        ("liceum", {_SCHOOL}),
        ("przedszkole", {_SCHOOL}),
        ("szkoła specjalny", {_SPECIAL}),
        ("szkoła językowy", {_TRAINING_FIRM}),
        ("szkoła jazda", {_TRAINING_FIRM}),
        ("szkoła pływanie", {_HOBBY_SPORT}),
        ("centrum kształcenie", {_TRAINING_CENTRE}),
        ("ckz", {_TRAINING_CENTRE}),
        ("cku", {_TRAINING_CENTRE}),
        ("biblioteka", {_CULTURE}),
        ("muzeum", {_CULTURE}),
        ("teatr", {_CULTURE}),
        ("galeria", {_CULTURE}),
        ("kino", {_CULTURE}),
        ("filharmonia", {_CULTURE}),
        ("dom kultura", {_CULTURE}),
        ("ośrodek kultura", {_CULTURE}),
        ("centrum kultura", {_CULTURE}),
        ("instytucja kultura", {_CULTURE}),
        ("firma szkoleniowy", {_TRAINING_FIRM}),
        ("klub", {_HOBBY_SPORT}),
        ("izba rolniczy", {_AGRICULTURE}),
        ("ośrodek doradztwo rolniczy", {_AGRICULTURE}),
        ("odr", {_AGRICULTURE}),
        ("stowarzyszenie", {_NGO}),
        ("fundacja", {_NGO}),
        ("organizacja", {_NGO}),
        ("koło gospodyni", {_NGO}),
        ("kgw", {_NGO}),
        ("firma", {_EMPLOYER, _TRAINING_FIRM}),
        ("pracodawca", {_EMPLOYER}),
        ("przedsiębiorstwo", {_EMPLOYER}),
        ("przedsiębiorca", {_EMPLOYER}),
        ("zakład", {_EMPLOYER}),
        ("gospodarstwo", {_EMPLOYER}),
        ("spółdzielnia", {_EMPLOYER}),
        ("urząd", {_PUBLIC}),
        ("samorząd", {_PUBLIC}),
        ("poradnia", {_PUBLIC}),
        ("ośrodek pomoc", {_PUBLIC}),
    )
}
_LONGEST = max(len(phrase) for phrase in KIND_PHRASES)
# A kind named in the opening words may be one of a list that runs past them: "Poszukujemy
# partnera – szkoły lub firmy", "Muzeum, galeria albo dom kultury".
_OR = frozenset({"lub", "albo", "oraz", "czy", "bądź"})


@lru_cache(maxsize=100_000)
def named_kinds(text: str) -> frozenset[str]:
    """The categories a need names by a phrase that starts among its opening words; empty if none."""
    words = lemmas_in_order(text)
    found: set[str] = set()
    start, end = 0, OPENING_WORDS
    while start < min(end, len(words)):
        for size in range(_LONGEST, 0, -1):
            kinds = KIND_PHRASES.get(tuple(words[start : start + size]))
            if kinds is not None and (start == 0 or words[start - 1] != "dla"):
                found |= kinds
                start += size
                if start < len(words) and words[start] in _OR:
                    end = max(end, start + 2)  # the next item of the list
                break
        else:
            start += 1
    return frozenset(found)
