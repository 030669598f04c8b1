"""The institution typology of the regional report, plus NGOs, employers and public bodies.

Every controlled value of a fiszka (category, subtype, legal form, scope, target group,
theme) is defined here once, with its Polish and English label.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """A controlled value with its labels."""

    key: str
    pl: str
    en: str


def _terms(*rows: tuple[str, str, str]) -> dict[str, Term]:
    return {key: Term(key, pl, en) for key, pl, en in rows}


CATEGORIES = _terms(
    ("1", "uczelnie", "higher education"),
    ("2", "szkoły", "schools"),
    ("3", "centra kształcenia zawodowego i ustawicznego", "vocational and continuing education centres"),
    ("4", "instytucje kultury", "culture institutions"),
    ("5", "szkolnictwo specjalne i resocjalizacyjne", "special and correctional education"),
    ("6", "firmy szkoleniowe", "training providers"),
    ("7", "edukacja hobbystyczna i sport", "hobby and sport providers"),
    ("8", "izby i ośrodki doradztwa rolniczego", "agricultural chambers and advisory centres"),
    ("ngo", "organizacje pozarządowe", "NGOs"),
    ("employer", "pracodawcy", "employers"),
    ("public", "instytucje publiczne", "public bodies"),
)

SUBTYPES: dict[str, dict[str, Term]] = {
    "1": _terms(
        ("public_university", "uczelnia publiczna", "public university"),
        ("non_public_university", "uczelnia niepubliczna", "non-public university"),
        ("tech_transfer_centre", "centrum transferu technologii", "technology transfer centre"),
        ("vocational_university", "akademia nauk stosowanych", "university of applied sciences"),
    ),
    "2": _terms(
        ("primary_school", "szkoła podstawowa", "primary school"),
        ("general_secondary", "liceum ogólnokształcące", "general secondary school"),
        ("technical_school", "technikum", "technical school"),
        ("sectoral_vocational", "szkoła branżowa", "sectoral vocational school"),
        ("post_secondary", "szkoła policealna", "post-secondary school"),
        ("craft_school", "szkoła rzemiosła", "craft school"),
        ("art_school", "szkoła artystyczna", "art school"),
    ),
    "3": _terms(
        ("vocational_training_centre", "centrum kształcenia zawodowego", "vocational training centre"),
        ("continuing_education_centre", "centrum kształcenia ustawicznego", "continuing education centre"),
        ("sectoral_skills_centre", "branżowe centrum umiejętności", "sectoral skills centre"),
    ),
    "4": _terms(
        ("culture_house", "dom kultury", "culture house"),
        ("library", "biblioteka", "library"),
        ("museum", "muzeum", "museum"),
        ("theatre", "teatr", "theatre"),
        ("gallery", "galeria", "gallery"),
        ("other_culture", "inna instytucja kultury", "other culture institution"),
    ),
    "5": _terms(
        ("special_school", "szkoła specjalna", "special school"),
        ("job_preparation_school", "szkoła przysposabiająca do pracy", "job-preparation school"),
        (
            "special_education_centre",
            "specjalny ośrodek szkolno-wychowawczy",
            "special school-and-education centre",
        ),
        (
            "correctional_school",
            "szkoła w zakładzie poprawczym lub karnym",
            "school in a correctional facility or prison",
        ),
    ),
    "6": _terms(
        ("vocational_training_firm", "firma szkoleniowa", "vocational training firm"),
        ("counselling", "doradztwo i coaching", "counselling and coaching"),
        ("language_school", "szkoła językowa", "language school"),
        ("driving_school", "szkoła nauki jazdy", "driving school"),
        ("pilot_training", "ośrodek szkolenia lotniczego", "pilot training centre"),
    ),
    "7": _terms(
        ("swimming_school", "szkoła pływania", "swimming school"),
        ("fitness_club", "klub fitness", "fitness club"),
        ("personal_trainer", "trener personalny", "personal trainer"),
        ("sports_association", "klub lub stowarzyszenie sportowe", "sports club or association"),
        ("hobby_centre", "pracownia lub klub zainteresowań", "hobby centre"),
        ("youth_centre", "młodzieżowy dom kultury", "youth culture centre"),
    ),
    "8": _terms(
        ("agricultural_chamber", "izba rolnicza", "chamber of agriculture"),
        ("agricultural_advisory_centre", "ośrodek doradztwa rolniczego", "agricultural advisory centre"),
    ),
    "ngo": _terms(
        ("association", "stowarzyszenie", "association"),
        ("foundation", "fundacja", "foundation"),
        ("lowe", "Lokalny Ośrodek Wiedzy i Edukacji", "Local Knowledge and Education Centre"),
        ("utw", "uniwersytet trzeciego wieku", "University of the Third Age"),
        ("rural_womens_circle", "koło gospodyń wiejskich", "rural women's circle"),
    ),
    "employer": _terms(
        ("company", "przedsiębiorstwo", "company"),
        ("craft_business", "zakład rzemieślniczy", "craft business"),
        ("farm", "gospodarstwo rolne", "farm"),
        ("cooperative", "spółdzielnia", "cooperative"),
        ("social_enterprise", "przedsiębiorstwo społeczne", "social enterprise"),
    ),
    "public": _terms(
        ("labour_office", "urząd pracy", "labour office"),
        (
            "counselling_centre",
            "poradnia psychologiczno-pedagogiczna",
            "psychological and pedagogical counselling centre",
        ),
        ("local_government", "samorząd", "local government"),
        ("social_welfare", "ośrodek pomocy społecznej", "social welfare centre"),
        ("teacher_training_centre", "ośrodek doskonalenia nauczycieli", "teacher training centre"),
    ),
}

LEGAL_FORMS = _terms(
    ("public", "publiczna", "public"),
    ("non_public", "niepubliczna", "non-public"),
    ("ngo", "organizacja pozarządowa", "NGO"),
    ("business", "działalność gospodarcza", "business"),
)

SCOPES = _terms(
    ("gmina", "gmina", "municipality"),
    ("powiat", "powiat", "county"),
    ("region", "region", "region"),
    ("national", "cały kraj", "national"),
)

TARGET_GROUPS = _terms(
    ("children", "dzieci", "children"),
    ("youth", "młodzież", "young people"),
    ("students", "studenci", "university students"),
    ("adults", "dorośli", "adults"),
    ("seniors", "seniorzy", "seniors"),
    ("disabled", "osoby z niepełnosprawnościami", "people with disabilities"),
    ("unemployed", "osoby bezrobotne", "unemployed people"),
    ("disadvantaged", "osoby w trudnej sytuacji", "disadvantaged people"),
    ("teachers", "nauczyciele", "teachers"),
    ("families", "rodziny", "families"),
    ("farmers", "rolnicy", "farmers"),
    ("employees", "pracownicy", "employees"),
    ("entrepreneurs", "przedsiębiorcy", "entrepreneurs"),
    ("migrants", "migranci", "migrants"),
)

THEMES = _terms(
    ("digital", "kompetencje cyfrowe", "digital skills"),
    ("green", "ekologia i klimat", "ecology and climate"),
    ("vocational", "kształcenie zawodowe", "vocational training"),
    ("culture", "kultura i sztuka", "culture and the arts"),
    ("languages", "języki obce", "foreign languages"),
    ("civic", "edukacja obywatelska", "civic education"),
    ("health", "zdrowie", "health"),
    ("sport", "sport i rekreacja", "sport and recreation"),
    ("science", "nauka i technika", "science and technology"),
    ("entrepreneurship", "przedsiębiorczość", "entrepreneurship"),
    ("agriculture", "rolnictwo i obszary wiejskie", "agriculture and rural areas"),
    ("inclusion", "włączenie społeczne", "social inclusion"),
    ("career", "doradztwo zawodowe", "career guidance"),
    ("heritage", "dziedzictwo i region", "heritage and the region"),
    ("tourism", "turystyka", "tourism"),
    ("reading", "czytelnictwo", "reading"),
)

# The report names these kinds as undervalued partners; exposure is measured for them.
UNDERVALUED = frozenset({("2", "art_school"), ("7", None), ("8", None), ("5", None)})


def is_undervalued(category: str, subtype: str) -> bool:
    """Tell whether an institution kind is one the report calls undervalued as a partner."""
    return (category, subtype) in UNDERVALUED or (category, None) in UNDERVALUED


def label(terms: Mapping[Hashable, Term], key: Hashable, lang: str = "pl") -> str:
    """Return the label of a controlled value (or a reason of a table of pairs) in the language asked for."""
    term = terms.get(key)
    if term is None:
        return key
    return term.en if lang == "en" else term.pl


# Pairs of sectors that complement each other, with why crossing them helps.
# Keys are unordered pairs of categories; "*" pairs a category with any other.
COMPLEMENTARY: dict[frozenset[str], Term] = {
    frozenset(pair): Term("+".join(sorted(pair)), pl, en)
    for pair, pl, en in (
        (
            ("2", "employer"),
            "szkoła zyskuje praktyki i kontakt z rynkiem pracy, pracodawca przyszłe kadry",
            "the school gains internships and contact with work, the employer its future staff",
        ),
        (
            ("3", "employer"),
            "kursy zawodowe spotykają realne potrzeby kadrowe firm",
            "vocational courses meet the real staffing needs of firms",
        ),
        (
            ("2", "4"),
            "kultura daje szkole przestrzeń i zajęcia, szkoła daje kulturze widownię",
            "culture gives the school venues and activities, the school gives culture an audience",
        ),
        (
            ("2", "1"),
            "uczelnia wnosi wiedzę i laboratoria, szkoła przyszłych studentów",
            "the university brings expertise and labs, the school future students",
        ),
        (
            ("2", "8"),
            "doradztwo rolnicze wspiera kształcenie rolnicze i wiejskie szkoły",
            "agricultural advisers support farming education and rural schools",
        ),
        (
            ("3", "8"),
            "ośrodki rolnicze i centra kształcenia razem szkolą dorosłych na wsi",
            "agricultural centres and training centres jointly train rural adults",
        ),
        (
            ("8", "employer"),
            "doradcy rolni i gospodarstwa wymieniają się wiedzą i praktyką",
            "agricultural advisers and farms exchange expertise and practice",
        ),
        (
            ("5", "7"),
            "sport i hobby dają uczniom szkół specjalnych rozwój i integrację",
            "sport and hobbies give special-school pupils development and inclusion",
        ),
        (
            ("5", "4"),
            "kultura otwiera się na uczniów z niepełnosprawnościami",
            "culture opens up to pupils with disabilities",
        ),
        (
            ("5", "employer"),
            "pracodawca daje uczniom szkoły specjalnej przygotowanie do pracy",
            "the employer prepares special-school pupils for work",
        ),
        (
            ("2", "7"),
            "kluby i pracownie rozszerzają ofertę zajęć szkoły",
            "clubs and hobby centres extend what the school can offer",
        ),
        (
            ("6", "public"),
            "firmy szkoleniowe realizują szkolenia dla osób, którym pomagają urzędy",
            "training firms train the people public bodies support",
        ),
        (
            ("3", "public"),
            "centra kształcenia szkolą osoby kierowane przez urzędy pracy",
            "training centres train people sent by labour offices",
        ),
        (
            ("4", "ngo"),
            "organizacje wnoszą wolontariuszy i projekty, kultura miejsce i program",
            "NGOs bring volunteers and projects, culture a venue and a programme",
        ),
        (
            ("1", "*"),
            "uczelnia może być partnerem każdego: wiedza, badania, studenci",
            "a university can partner anyone: expertise, research, students",
        ),
    )
}


def complementarity(category_a: str, category_b: str) -> Term | None:
    """The reason two different categories complement each other, if the typology has one."""
    if category_a == category_b:
        return None
    pair = frozenset((category_a, category_b))
    if pair in COMPLEMENTARY:
        return COMPLEMENTARY[pair]
    for category in (category_a, category_b):
        wildcard = frozenset((category, "*"))
        if wildcard in COMPLEMENTARY:
            return COMPLEMENTARY[wildcard]
    return None


def _pairs(*rows: tuple[tuple[str, ...], str, str, str]) -> dict[frozenset[str], Term]:
    """Unordered pairs of keys, each pair listed under the reason that joins it."""
    table: dict[frozenset[str], Term] = {}
    for keys, reason, pl, en in rows:
        for a, b in zip(keys[::2], keys[1::2], strict=True):
            table[frozenset((a, b))] = Term(reason, pl, en)
    return table


# Target groups that meet in joint work without being the same audience: one side's
# people are what the other side's people need (pupils and employers, seniors and children).
COMPLEMENTARY_GROUPS = _pairs(
    (
        ("seniors", "children", "seniors", "youth", "seniors", "students"),
        "intergenerational",
        "zajęcia międzypokoleniowe: seniorzy dzielą się doświadczeniem, młodsi uczą ich nowego",
        "intergenerational activities: seniors share experience, the young teach them new things",
    ),
    (
        ("youth", "entrepreneurs", "youth", "employees", "students", "entrepreneurs"),
        "first_job",
        "młodzi szukają praktyk i pierwszej pracy, firmy przyszłych pracowników",
        "young people look for placements and a first job, firms for future staff",
    ),
    (
        ("unemployed", "entrepreneurs", "unemployed", "employees"),
        "employment",
        "osoby bez pracy szukają zatrudnienia, pracodawcy rąk do pracy",
        "jobseekers look for work, employers for staff",
    ),
    (
        ("teachers", "children", "teachers", "youth"),
        "teachers_pupils",
        "to, czego nauczą się nauczyciele, trafia do ich uczniów",
        "what teachers learn reaches their pupils",
    ),
    (
        ("families", "children"),
        "families",
        "zajęcia dla dzieci przyciągają całe rodziny",
        "activities for children bring in whole families",
    ),
)

# Themes that lead into each other: work on one serves the other.
COMPLEMENTARY_THEMES = _pairs(
    (
        ("career", "vocational", "career", "entrepreneurship", "vocational", "entrepreneurship"),
        "career_path",
        "doradztwo, kształcenie zawodowe i przedsiębiorczość to jedna ścieżka kariery",
        "guidance, vocational training and entrepreneurship are one career path",
    ),
    (
        ("heritage", "tourism", "heritage", "culture"),
        "heritage",
        "dziedzictwo regionu żyje w kulturze i przyciąga turystów",
        "the region's heritage lives in its culture and draws visitors",
    ),
    (("reading", "culture"), "reading", "czytelnictwo należy do kultury", "reading is part of culture"),
    (
        ("agriculture", "green"),
        "rural_green",
        "rolnictwo i ochrona przyrody dotyczą tej samej wsi",
        "farming and nature protection concern the same countryside",
    ),
    (("health", "sport"), "health_sport", "ruch służy zdrowiu", "exercise serves health"),
    (
        ("digital", "science"),
        "digital_science",
        "kompetencje cyfrowe i nauka ścisła uczą się razem",
        "digital skills and science are learnt together",
    ),
    (
        ("inclusion", "civic"),
        "inclusion_civic",
        "włączenie społeczne i edukacja obywatelska budują tę samą wspólnotę",
        "social inclusion and civic education build the same community",
    ),
)


def complements_of(keys: tuple[str, ...] | list[str], table: dict[frozenset[str], Term]) -> set[str]:
    """The keys that complement one of `keys` in `table`, other than `keys` themselves."""
    return {other for pair in table for key in keys if key in pair for other in pair} - set(keys)


def complementary_terms(
    ours: tuple[str, ...] | list[str], theirs: tuple[str, ...] | list[str], table: dict[frozenset[str], Term]
) -> list[tuple[str, str, Term]]:
    """(our key, their key, reason) for each of their keys we lack that complements one of ours."""
    found = []
    for their_key in theirs:
        if their_key in ours:
            continue
        for our_key in ours:
            term = table.get(frozenset((our_key, their_key)))
            if term is not None:
                found.append((our_key, their_key, term))
                break
    return found
