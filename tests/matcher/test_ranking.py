"""Ranking invariants: parts add up, quotas, exclusions, explanations only from counted parts."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from embeddings import load_encoder
from matcher.config import DEFAULT_CONFIG
from matcher.db import make_engine, make_session_factory
from matcher.explain import MIN_EVIDENCE, reasons, render, render_standing
from matcher.index import build_index
from matcher.matching import BadRequest, MatchRequest, assess_partner, find_partners
from matcher.profiles import Profile
from matcher.ranking import Filters, Standing, Suggestion, select_diverse
from matcher.registry import import_records, parse_import
from tests.conftest import SMALL


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rank")
    sessions = make_session_factory(make_engine(f"sqlite:///{tmp / 'db.sqlite'}"))
    session = sessions()
    import_records(session, parse_import(SMALL.read_bytes()))
    encoder = load_encoder("hashing")
    index = build_index(session, encoder, tmp / "ix")
    yield session, index, encoder
    session.close()


def run(world, config=DEFAULT_CONFIG, **request):
    session, index, encoder = world
    return find_partners(session, index, encoder, MatchRequest(**request), config)[1]


def test_score_parts_add_up_to_the_score(world):
    for suggestion in run(world, institution="T-005", k=10):
        assert sum(suggestion.parts.values()) == pytest.approx(suggestion.score, abs=1e-3)


def test_ablated_part_is_absent_from_parts_and_reasons(world):
    config = DEFAULT_CONFIG.with_weights(sector=0.0, reach=0.0)
    for suggestion in run(world, config, institution="T-001", k=10):
        assert "sector" not in suggestion.parts and "reach" not in suggestion.parts
        kinds = {r["type"] for r in reasons(suggestion)}
        assert not kinds & {"sector", "reach"}


def test_every_reason_points_at_a_part_that_counted(world):
    for suggestion in run(world, institution="T-002", k=10):
        for reason in reasons(suggestion):
            assert suggestion.parts.get(reason["part"], 0) != 0, (reason, suggestion.parts)


def test_explanation_does_not_claim_a_reciprocal_fit_without_one(world):
    config = dataclasses.replace(DEFAULT_CONFIG, reciprocal=False)
    for suggestion in run(world, config, institution="T-001", k=10):
        assert "reciprocity" not in suggestion.parts
        text = render(reasons(suggestion), suggestion, lang="pl")
        assert "W drugą stronę" not in text and "obustronna" not in text


def test_same_sector_filter_overrides_the_cross_sector_default(world):
    results = run(world, institution="T-001", k=10, filters=Filters(same_sector=True))
    assert results and all(s.profile.category == "2" for s in results)


def _fake(category: str, score: float, subtype: str = "x") -> Suggestion:
    profile = Profile(
        f"{category}-{score}",
        "n",
        category,
        subtype,
        "public",
        "gmina",
        "t",
        "1261011",
        "1261",
        50.0,
        20.0,
        "",
        (),
        (),
        (),
        (),
        (),
        "h",
    )
    return Suggestion(profile, score, {"complement": score}, {}, {})


def test_sector_quota_caps_one_sector_in_the_top_ten():
    ranked = [_fake("2", 1 - i / 100) for i in range(12)] + [_fake("4", 0.5 - i / 100) for i in range(5)]
    top = select_diverse(ranked, 10, DEFAULT_CONFIG, diversify=True)
    counts = {c: sum(s.profile.category == c for s in top) for c in ("2", "4")}
    assert counts == {"2": 6, "4": 4}  # 4 each by quota, then refilled by score when variety ran out
    many_schools = [_fake("2", 1 - i / 100) for i in range(6)]
    others = [_fake(c, 0.5 - i / 100) for i, c in enumerate(["3", "4", "5", "6", "ngo", "employer"])]
    top = select_diverse(many_schools + others, 10, DEFAULT_CONFIG, diversify=True)
    assert sum(s.profile.category == "2" for s in top) == 4  # other sectors were there to fill


def test_undervalued_kind_gets_a_fair_slot_when_close():
    ranked = [
        _fake(c, 1 - i / 100)
        for i, c in enumerate(["1", "2", "3", "4", "6", "ngo", "employer", "public", "1", "2"])
    ]
    ranked.append(_fake("7", 0.9))
    top = select_diverse(sorted(ranked, key=lambda s: -s.score), 10, DEFAULT_CONFIG, diversify=True)
    assert any(s.profile.category == "7" for s in top)


def test_the_fair_slot_never_breaks_the_sector_quota():
    # Four schools lead; the only undervalued kinds close to the cut are art schools
    # (category 2 again) and a hobby club further down.
    ranked = [_fake("2", 1 - i / 100) for i in range(4)]
    ranked += [_fake(c, 0.9 - i / 100) for i, c in enumerate(["1", "3", "4", "6", "ngo", "employer"])]
    art_school = _fake("2", 0.84, subtype="art_school")
    hobby = _fake("7", 0.8)
    top = select_diverse(
        sorted(ranked + [art_school, hobby], key=lambda s: -s.score), 10, DEFAULT_CONFIG, True
    )
    assert sum(s.profile.category == "2" for s in top) == 4
    assert hobby in top and art_school not in top


def test_calibration_is_per_query_unit():
    from matcher.ranking import _zscore

    sims = np.array([[0.9, 0.8, 0.7], [0.5, 0.4, 0.3]])
    assert np.allclose(_zscore(sims)[0], _zscore(sims)[1])


def test_reach_falls_with_distance_even_within_the_area_of_operation(world):
    from matcher.ranking import Ranker

    _, index, _ = world
    me = index.profiles["T-005"]
    origin = (me.lat, me.lon)
    radius = DEFAULT_CONFIG.radius_km
    # Distance alone: the area-of-operation factor is tested below.
    config = dataclasses.replace(DEFAULT_CONFIG, outside_area=1.0)
    ranker = Ranker(index, config)
    km = ranker._distances(origin)
    reach_km = np.maximum([radius[index.profiles[i].scope] for i in ranker.layout.ids], radius[me.scope])
    within = km <= reach_km
    assert within.sum() >= 3 and (~within).any()
    reach = ranker._reach(me, km)
    by_distance = np.argsort(km[within])
    assert np.all(np.diff(reach[within][by_distance]) <= 1e-9)  # nearer is never worse
    assert reach[within].min() >= 1 - DEFAULT_CONFIG.proximity
    near = 1 - DEFAULT_CONFIG.proximity * np.minimum(km / DEFAULT_CONFIG.proximity_km, 1)
    assert np.all(reach[~within] < near[~within])  # beyond the area it decays on top
    flat = Ranker(index, dataclasses.replace(config, proximity=0.0))._reach(me, km)
    assert np.all(flat[within] == 1.0)


def test_reach_is_lower_where_neither_area_of_operation_holds_the_other(world):
    from matcher.ranking import Ranker

    _, index, _ = world
    me = index.profiles["T-005"]  # a powiat-level school in powiat wielicki
    ranker = Ranker(index)
    inside = dict(zip(ranker.layout.ids, ranker._inside_area(me), strict=True))
    assert inside["T-004"]  # a gmina library inside our powiat
    assert inside["T-007"]  # a regional university in Kraków
    assert not inside["T-008"] and not inside["T-009"]  # gmina-level bodies of other powiats
    km = ranker._distances((me.lat, me.lon))
    plain = Ranker(index, dataclasses.replace(DEFAULT_CONFIG, outside_area=1.0))._reach(me, km)
    reach = ranker._reach(me, km)
    for i, external_id in enumerate(ranker.layout.ids):
        factor = 1.0 if inside[external_id] else DEFAULT_CONFIG.outside_area
        assert reach[i] == pytest.approx(plain[i] * factor)
    assert DEFAULT_CONFIG.outside_area < 1.0
    # The evidence and the explanation say so, for exactly those partners.
    for suggestion in run(world, institution="T-005", k=20):
        assert suggestion.evidence["reach"]["inside_area"] == inside[suggestion.profile.external_id]
        text = render(reasons(suggestion), suggestion)
        assert ("Żadna ze stron nie działa na terenie drugiej" in text) != inside[
            suggestion.profile.external_id
        ]


def test_distance_evidence_says_how_the_distance_counted(world):
    """'near' only where proximity kept the reach high, 'beyond' only outside both areas."""
    from matcher.ranking import NEAR_SHARE

    seen = set()
    for suggestion in run(world, institution="T-005", k=20) + run(world, institution="T-001", k=20):
        reach = suggestion.evidence["reach"]
        seen.add(reach["closeness"])
        if reach["closeness"] == "beyond":
            proximity = 1 - DEFAULT_CONFIG.proximity * min(reach["km"] / DEFAULT_CONFIG.proximity_km, 1)
            assert reach["km"] > reach["reach_km"] and suggestion.values["reach"] < proximity
        else:
            assert reach["km"] <= reach["reach_km"]
            near = reach["km"] <= DEFAULT_CONFIG.proximity_km * NEAR_SHARE
            assert (reach["closeness"] == "near") == near
            area = 1.0 if reach["inside_area"] else DEFAULT_CONFIG.outside_area
            assert suggestion.values["reach"] >= area * (
                1 - DEFAULT_CONFIG.proximity * (NEAR_SHARE if near else 1)
            )
    assert {"near", "beyond"} <= seen, seen


# A cooking association whose need names the partner kind it wants: firms.
COOKS = {
    "external_id": "T-011",
    "name": "Stowarzyszenie Kulinarne Wieliczka",
    "category": "ngo",
    "subtype": "association",
    "legal_form": "ngo",
    "description": "Uczymy młodzież gotowania i organizujemy festyny kulinarne.",
    "offers": ["Warsztaty kulinarne dla młodzieży w soboty"],
    "needs": ["Firmy gastronomiczne przyjmujące młodzież na staże w kuchni i catering"],
    "target_groups": ["youth"],
    "themes": ["vocational"],
    "scope": "powiat",
    "location": {
        "town": "Wieliczka",
        "gmina_teryt": "1219053",
        "powiat_teryt": "1219",
        "lat": 49.98,
        "lon": 20.06,
    },
    "partners": [],
}


@pytest.fixture(scope="module")
def cooks(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cooks")
    session = make_session_factory(make_engine(f"sqlite:///{tmp / 'db.sqlite'}"))()
    lines = SMALL.read_text(encoding="utf-8").rstrip("\n") + "\n" + json.dumps(COOKS, ensure_ascii=False)
    import_records(session, parse_import(lines))
    encoder = load_encoder("hashing")
    yield session, build_index(session, encoder, tmp / "ix"), encoder
    session.close()


def test_a_need_naming_a_kind_counts_less_for_institutions_of_other_kinds(cooks):
    share = DEFAULT_CONFIG.named_kind
    assert share < 1
    off = dataclasses.replace(DEFAULT_CONFIG, named_kind=1.0)
    plain = {s.profile.external_id: s for s in run(cooks, off, institution="T-011", k=20)}
    named = run(cooks, institution="T-011", k=20)
    kinds = set()
    for suggestion in named:
        evidence = suggestion.evidence.get("need_offer")
        before = plain[suggestion.profile.external_id].evidence.get("need_offer")
        if before is None:  # no fit to the need at all, either way
            assert evidence is None
            continue
        assert "named_kind" not in before
        firm = suggestion.profile.category == "employer"
        assert evidence["named_kind"]["matches"] == firm
        assert evidence["strength"] == pytest.approx(before["strength"] * (1 if firm else share), abs=2e-3)
        kinds.add(firm)
        text = render(reasons(suggestion), suggestion, lang="pl")
        if evidence["strength"] >= MIN_EVIDENCE:
            said = "wprost wskazuje taki rodzaj partnera (pracodawcy)" if firm else "inny rodzaj partnera"
            assert said in text
    assert kinds == {True, False}
    # The hotel that takes trainees in its kitchen now leads; before, a school's kitchen was close.
    assert named[0].profile.external_id == "T-002"
    assert named[0].score - named[1].score > plain["T-002"].score - max(
        s.score for i, s in plain.items() if i != "T-002"
    )


def test_a_search_embeds_only_the_words_no_card_uses(world):
    session, index, encoder = world
    query, _ = find_partners(
        session, index, encoder, MatchRequest(query="Szukamy weterynarza na pogadankę z uczniami", k=5)
    )
    assert "weterynarz" in query.lemma_vectors
    assert all(word not in index.terms.position for word in query.lemma_vectors)
    assert all(v.shape == (encoder.dim,) for v in query.lemma_vectors.values())
    off = dataclasses.replace(DEFAULT_CONFIG, term_share=0.0)
    query, _ = find_partners(session, index, encoder, MatchRequest(query="weterynarz", k=5), off)
    assert query.lemma_vectors == {}  # nothing is embedded when the word view is off


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Szukam kogoś, kto pokaże seniorom smartfon", "pokaże seniorom smartfon"),
        ("szukamy firmy, która przyjmie praktykantów", "przyjmie praktykantów"),
        ("Potrzebujemy trenera siatkówki", "trenera siatkówki"),
        ("gdzie można wypalić gliniane prace?", "wypalić gliniane prace?"),
        ("skąd wziąć resztki drewna", "resztki drewna"),
        ("kto poprowadzi warsztaty z robotyki", "poprowadzi warsztaty z robotyki"),
        ("chcemy, żeby magazynierzy mieli uprawnienia", "magazynierzy mieli uprawnienia"),
        # No request phrase, or a word that only starts like one: the text stays whole.
        ("kurs pierwszej pomocy dla wychowawców", "kurs pierwszej pomocy dla wychowawców"),
        ("gdzieniegdzie brak sal", "gdzieniegdzie brak sal"),
        # Only a request phrase: the noun it names is the topic; with none, nothing is.
        ("Szukamy firmy", "firmy"),
        ("potrzebujemy partnera.", "partnera"),
        ("szukamy", ""),
        ("Szukamy kogoś, kto", ""),
        ("gdzie można?", ""),
        ("interesuje nas", ""),
        ("🙂🙂", ""),
    ],
)
def test_a_search_is_matched_by_its_topic_not_its_request_phrase(text, topic):
    from matcher.matching import search_topic

    assert search_topic(text) == topic


def test_a_search_query_embeds_its_topic(world):
    _, _, encoder = world
    from matcher.matching import text_query

    query = text_query(encoder, "Szukamy kogoś, kto poprowadzi zajęcia z robotyki")
    assert query.texts["query"] == ["poprowadzi zajęcia z robotyki"]
    assert np.allclose(query.vectors["query"], encoder.encode(["poprowadzi zajęcia z robotyki"]))


def test_distances_are_measured_from_the_town_a_search_names(world):
    from matcher.geo import distance_km

    session, index, encoder = world
    query, suggestions = find_partners(
        session, index, encoder, MatchRequest(query="warsztaty komputerowe dla seniorów w Tarnowie", k=10)
    )
    assert query.place is not None and query.place.town == "Tarnów"
    assert suggestions
    for s in suggestions:
        reach = s.evidence["reach"]
        expected = distance_km(query.place.lat, query.place.lon, s.profile.lat, s.profile.lon)
        assert reach["km"] == pytest.approx(expected, abs=0.1)
        assert reach["from_place"] == "Tarnów"
        text = render(reasons(s), s)
        assert ("Odległość liczona od miejsca z wyszukiwania: Tarnów" in text) == ("reach" in s.parts)
    # `near` wins over a named town, and a distance filter works from the town alone.
    near = Filters(near=(50.0614, 19.9366))
    query, _ = find_partners(
        session, index, encoder, MatchRequest(query="warsztaty w Tarnowie", k=10, filters=near)
    )
    assert query.place is None
    _, close = find_partners(
        session,
        index,
        encoder,
        MatchRequest(query="warsztaty w Tarnowie", k=10, filters=Filters(max_distance_km=10)),
    )
    assert close and all(s.evidence["reach"]["km"] <= 10 for s in close)


def standing(world, partner, institution="T-001", k=3, filters=None):
    session, index, encoder = world
    request = MatchRequest(institution=institution, k=k, filters=filters or Filters())
    return assess_partner(session, index, encoder, request, partner)[1]


def test_a_partners_standing_agrees_with_the_suggestions(world):
    listed = run(world, institution="T-010", k=3)
    scores = {s.profile.external_id: s.score for s in listed}
    others = [i for i in world[1].profiles if i != "T-010"]
    standings = {i: standing(world, i, institution="T-010") for i in others}
    assert {i for i, st in standings.items() if st.status == "suggested"} == set(scores)
    for i, st in standings.items():
        assert sum(st.suggestion.parts.values()) == pytest.approx(st.suggestion.score, abs=1e-3)
        if st.status == "suggested":
            assert [s.profile.external_id for s in listed].index(i) + 1 == st.position
            assert st.suggestion.score == scores[i]
        elif st.status == "ranked":
            # Below the list, or held back by the sector quota while scoring as well.
            assert st.suggestion.score <= st.last_score or st.position <= 3
    # T-009 lists T-010 as its partner: scored and explained, never suggested.
    assert standings["T-009"].status == "existing_partner" and standings["T-009"].position is None
    assert standings["T-009"].suggestion.parts


def test_a_ranked_partners_position_counts_those_scoring_higher(world):
    ranked = run(world, institution="T-001", k=20, filters=Filters(same_sector=True))
    last = ranked[-1]
    st = standing(world, last.profile.external_id, k=1, filters=Filters(same_sector=True))
    assert st.status == "ranked" and st.position == len(ranked)
    assert st.last_score == ranked[0].score


def test_an_excluded_or_filtered_partner_says_so(world):
    assert standing(world, "T-007", filters=Filters(exclude=("T-007",))).status == "excluded"
    assert standing(world, "T-007", filters=Filters(category=("2",))).status == "filtered"


def test_a_partners_standing_refuses_the_institution_itself(world):
    with pytest.raises(BadRequest) as err:
        standing(world, "T-001")
    assert err.value.field == "partner"


@pytest.mark.parametrize(
    ("status", "position", "score", "last", "voice", "words"),
    [
        ("suggested", 2, 1.5, 1.2, "second", "2. miejsce na liście 5 propozycji"),
        ("ranked", 14, 0.9, 1.2, "second", "poza listą 5 propozycji; według wyniku (0.90) 14. miejsce"),
        ("ranked", 3, 1.3, 1.2, "second", "limit wyników z jednego sektora"),
        ("existing_partner", None, 1.0, 1.2, "second", "już Wasz partner"),
        ("existing_partner", None, 1.0, 1.2, "third", "już partner tej instytucji"),
        ("excluded", None, 1.0, 1.2, "second", "oznaczone przez Was jako nietrafiona"),
    ],
)
def test_a_standing_is_worded_by_why_the_partner_is_where_it_is(status, position, score, last, voice, words):
    fake = _fake("4", score)
    text = render_standing(Standing(fake, status, position, last), 5, lang="pl", voice=voice)
    assert text.startswith(fake.profile.name) and words in text
    english = render_standing(Standing(fake, status, position, last), 5, lang="en", voice=voice)
    assert english != text and fake.profile.name in english


def test_a_search_in_english_is_read_with_polish_words_in_the_word_views(world):
    dense_only = dataclasses.replace(DEFAULT_CONFIG, lexical_share=0.0, term_share=0.0)
    no_gloss = dataclasses.replace(DEFAULT_CONFIG, english_gloss=False)

    def scored(config, text):
        return [(s.profile.external_id, s.score) for s in run(world, config, query=text, k=10)]

    english = "internships in a hotel kitchen for cooking students"
    # Without the dictionary an English search is matched by the encoder alone...
    assert scored(no_gloss, english) == scored(dense_only, english)
    # ...with it, the word views read its Polish gloss, and the hotel that takes trainees in
    # its kitchen leads (the tests' hashing encoder knows no English).
    session, index, encoder = world
    query, found = find_partners(session, index, encoder, MatchRequest(query=english, k=10))
    assert query.gloss and {"staż", "hotel", "kuchnia", "uczeń"} <= set(query.gloss.split())
    assert found[0].profile.external_id == "T-002"
    assert scored(DEFAULT_CONFIG, english) != scored(no_gloss, english)
    # Words the dictionary does not know leave the search to the encoder.
    unknown = "whatever they would say about it"
    unread, _ = find_partners(session, index, encoder, MatchRequest(query=unknown, k=10))
    assert not unread.polish and unread.gloss is None
    # When the gloss and the encoder agree on nothing (here: the hashing encoder knows no
    # English), the encoder alone answers rather than an empty list.
    swimming = "swimming lessons for primary school pupils"
    fallback, listed = find_partners(session, index, encoder, MatchRequest(query=swimming, k=10))
    assert fallback.gloss is None and listed
    assert scored(DEFAULT_CONFIG, swimming) == scored(no_gloss, swimming)
    # A Polish search keeps its character n-grams and lemmas, and is not glossed.
    polish = "nauka pływania dla uczniów szkół podstawowych"
    assert find_partners(session, index, encoder, MatchRequest(query=polish, k=10))[0].gloss is None
    assert scored(DEFAULT_CONFIG, polish) != scored(dense_only, polish)


def test_a_search_with_typos_is_answered_as_without_them(world):
    def scored(text):
        return [(s.profile.external_id, s.score) for s in run(world, query=text, k=10)]

    assert scored("praktyki w kuhcni dla ucznió") == scored("praktyki w kuchni dla uczniów")


def test_an_audience_that_complements_ours_counts_and_is_explained(world):
    # The technical school teaches young people; the hotel's audience is its employees.
    share = DEFAULT_CONFIG.complementary_audience
    assert 0 < share < 1
    off = dataclasses.replace(DEFAULT_CONFIG, complementary_audience=0.0)
    before = {s.profile.external_id: s for s in run(world, off, institution="T-001", k=10)}["T-002"]
    hotel = {s.profile.external_id: s for s in run(world, institution="T-001", k=10)}["T-002"]
    # Themes: "vocational" shared (0.4 of the part); groups: none shared, one complementary.
    assert before.values["audience"] == pytest.approx(0.4)
    assert hotel.values["audience"] == pytest.approx(0.4 + 0.6 * share)
    assert "complementary_target_groups" not in before.evidence["audience"]
    assert hotel.evidence["audience"]["complementary_target_groups"] == [
        {"ours": "youth", "theirs": "employees", "why": "first_job"}
    ]
    assert "complementary_themes" not in hotel.evidence["audience"]  # the one theme is shared
    text = render(reasons(hotel), hotel, lang="pl")
    assert "uzupełniający się odbiorcy: młodzież i pracownicy u partnera (młodzi szukają praktyk" in text
    english = render(reasons(hotel), hotel, lang="en")
    assert "complementary audiences: young people and the partner's employees (young people look" in english
    assert "uzupełniający" not in render(reasons(before), before, lang="pl")
