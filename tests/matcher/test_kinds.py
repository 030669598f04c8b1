"""Which kind of institution a need names, from its opening words."""

from __future__ import annotations

import pytest

from matcher.kinds import named_kinds


@pytest.mark.parametrize(
    ("need", "kinds"),
    [
        ("Firmy budowlane gotowe przyjąć studentów na praktyki", {"employer", "6"}),
        ("Pracodawca z branży elektrycznej przyjmujący uczniów", {"employer"}),
        ("Szkoły ponadpodstawowe zainteresowane patronatem", {"2", "5"}),
        # A longer phrase wins over its first word.
        ("Szkoła językowa z lektorem dla nauczycieli", {"6"}),
        ("Domy kultury i biblioteki jako miejsce praktyk", {"4"}),
        ("Uniwersytet Trzeciego Wieku do wspólnych zajęć", {"ngo"}),
        ("Uczelnia techniczna, która obejmie opieką klasę", {"1"}),
        # A phrase that starts among the opening words may run past them.
        ("Miejsca praktyk w ośrodkach doradztwa rolniczego", {"8"}),
        # A list that runs past the opening words.
        ("Poszukujemy partnera – szkoły lub firmy", {"2", "5", "employer", "6"}),
        ("Firmy dla szkół", {"employer", "6"}),
    ],
)
def test_a_need_that_opens_with_a_kind_names_it(need, kinds):
    assert named_kinds(need) == kinds


@pytest.mark.parametrize(
    "need",
    [
        "Sala gimnastyczna na zajęcia popołudniowe",
        # Further on, a kind is context, not the partner asked for.
        "Zajęcia z robotyki dla uczniów naszej szkoły",
        # After "dla" a kind is whom something is for, not the partner asked for.
        "Zajęcia dla szkół lub firm",
        "",
    ],
)
def test_a_need_that_names_no_kind_in_its_opening_names_none(need):
    assert named_kinds(need) == frozenset()
