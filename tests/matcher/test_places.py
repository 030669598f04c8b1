"""Towns named in a search: recognised in their Polish case forms, and distances measured from them."""

from __future__ import annotations

import pytest

from matcher.geo import find_place


@pytest.mark.parametrize(
    ("text", "town", "powiat"),
    [
        ("basen z instruktorem dla dzieci pod Miechowem", "Miechów", "1208"),
        ("hotel albo restauracja koło Bochni", "Bochnia", "1201"),
        ("praktyki w Nowym Sączu", "Nowy Sącz", "1262"),
        ("praktyki w Nowym Targu", "Nowy Targ", "1211"),  # the longest name, not Nowy Sącz
        ("zajęcia pływackie, okolice Oświęcimia", "Oświęcim", "1213"),
        ("warsztaty w Wieliczce", "Wieliczka", "1219"),  # k -> c before the ending
        ("kolonie w Rabce", "Rabka-Zdrój", "1211"),  # a spa town without its "-Zdrój"
        ("kurs z dojazdem z tarnowa", "Tarnów", "1263"),  # a city in lower case; the city powiat
        ("szkolenie w Suchej Beskidzkiej", "Sucha Beskidzka", "1215"),
        ("obóz w Bukowinie Tatrzańskiej", "Bukowina Tatrzańska", "1217"),  # adjective: -iej
        ("sala w Myślenicach", "Myślenice", "1209"),  # a plural name
        ("praktyki w Zakopanem", "Zakopane", "1217"),
        # The first word of a two-word name whose second word only qualifies it.
        ("warsztaty w Kalwarii", "Kalwaria Zebrzydowska", "1218"),
        ("koncert w Bukowinie", "Bukowina Tatrzańska", "1217"),
        ("kurs w Mszanie", "Mszana Dolna", "1207"),  # the larger of Mszana Dolna and Górna
        ("w Mszanie Górnej", "Mszana Górna", "1207"),  # the whole name still wins
        ("w Dąbrowie", "Dąbrowa", "1219"),  # a village of that very name beats the short form
        # Kraków's districts and quarters, with "na" as Cracovians say it.
        ("basen w Nowej Hucie", "Nowa Huta", "1261"),  # t -> c before the ending
        ("zajęcia na Kazimierzu", "Kazimierz", "1261"),
        ("świetlica na Bronowicach", "Bronowice", "1261"),
        ("w Prądniku Białym", "Prądnik Biały", "1261"),
        ("basen na Starym Mieście", "Stare Miasto", "1261"),  # Miasto -> Mieście
        # A gmina, a powiat and a region, as people who work in them name them.
        ("praktyki na terenie gminy Zabierzów", "Zabierzów", "1206"),
        ("zajęcia w gminie Gdów", "Gdów", "1219"),
        ("basen w powiecie wielickim", "powiat wielicki", "1219"),
        ("kurs na terenie powiatu tarnowskiego", "powiat tarnowski", "1216"),  # not the city
        ("szkolenie w pow. myślenickim", "powiat myślenicki", "1209"),
        ("warsztaty na Podhalu", "Podhale", "1211"),
        ("firmy z Sądecczyzny", "Sądecczyzna", "1262"),
        ("obóz w Pieninach", "Pieniny", "1211"),
        ("wycieczki pod Tatrami", "Tatry", "1217"),
        ("stadniny w Beskidzie Niskim", "Beskid Niski", "1205"),
        # Typed without Polish letters, and in English.
        ("praktyki w Nowym Saczu", "Nowy Sącz", "1262"),
        ("basen kolo Oswiecimia", "Oświęcim", "1213"),
        ("obok Lacka", "Łącko", "1210"),
        ("robotics classes in Krakow", "Kraków", "1261"),
        ("a swimming pool near Tarnow", "Tarnów", "1263"),
    ],
)
def test_a_search_names_a_town_in_any_case_form(text, town, powiat):
    place = find_place(text)
    assert place is not None and (place.town, place.powiat_teryt) == (town, powiat)


@pytest.mark.parametrize(
    "text",
    [
        "zajęcia w domu kultury pod opieką instruktora",
        "lekcja przyrody nad stawami hodowlanymi",
        "spacer w lasku z dziećmi",
        "Kraków",  # no preposition: a name alone may be the subject, not a place
        "okolice Babiej Góry",  # a mountain, not a town of the gazetteer
        "spotkanie w Tarnowskich Górach",  # Tarnów's stem, but "-skich" is no case ending of it
        "warsztaty w kalwarii",  # a short form only with a capital letter
        "obiad na wsi",
        "zajęcia w mieście",  # Miasto's stem, but no place of that name
        "w powiecie albo w gminie",  # no name follows
        "warsztaty na podhalu",  # a region only with a capital letter
        "lessons in the school near the river",
        "",
    ],
)
def test_words_that_are_not_a_place_name_none(text):
    assert find_place(text) is None


def test_a_village_counts_when_written_as_a_name():
    assert find_place("zajęcia w dobrej sali") is None  # Dobra (3,100 people) only as a name
    place = find_place("świetlica w Dobrej")
    assert place is not None and place.town == "Dobra"
