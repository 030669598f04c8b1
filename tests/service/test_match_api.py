"""POST /match and staff suggestions: shape, exclusions, filters, errors."""

from __future__ import annotations

import pytest


def match(client, **body):
    response = client.post("/match", json=body)
    assert response.status_code == 200, response.json
    return response.json


def test_match_returns_ranked_explained_public_results(seeded, client):
    body = match(client, institution="T-001", k=5)
    results = body["results"]
    assert 0 < len(results) <= 5
    assert body["index"]["encoder"].startswith("hashing")
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    for r in results:
        assert abs(sum(r["score_parts"].values()) - r["score"]) < 1e-3
        assert r["explanation"] and isinstance(r["reasons"], list)
        assert not {"person", "email", "phone"} & set(r["institution"].get("contact", {}))
        assert set(r["institution"]) >= {"external_id", "name", "category", "location"}


def test_match_never_suggests_itself_or_existing_partners(seeded, client):
    ids = [r["institution"]["external_id"] for r in match(client, institution="T-010", k=20)["results"]]
    assert "T-010" not in ids
    assert "T-009" not in ids  # T-009 lists T-010 as its partner


def test_filters_apply_before_cutting_to_k(seeded, client):
    body = match(client, institution="T-001", k=2, filters={"category": "2"})
    assert len(body["results"]) == 2
    assert all(r["institution"]["category"] == "2" for r in body["results"])


def test_cross_sector_only_filter_drops_same_category(seeded, client):
    body = match(client, institution="T-001", k=20, filters={"cross_sector_only": True})
    assert body["results"]
    assert all(r["institution"]["category"] != "2" for r in body["results"])


def test_distance_filter_keeps_near_institutions(seeded, client):
    body = match(client, institution="T-010", k=20, filters={"max_distance_km": 30})
    assert body["results"] == []  # nothing else lies within 30 km of Tarnów
    far = match(client, institution="T-008", k=20, filters={"max_distance_km": 100})
    assert {r["institution"]["external_id"] for r in far["results"]} >= {"T-001", "T-007"}


def test_english_explanations_on_request(seeded, client):
    body = match(client, institution="T-001", k=3, lang="en")
    text = " ".join(r["explanation"] for r in body["results"])
    assert "Cross-sector" in text or "similarity" in text or "km away" in text
    assert "Współpraca" not in text


def test_huge_k_is_capped(seeded, client):
    body = match(client, query="warsztaty robotyki", k=10**9)
    assert body["k"] == 100


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "institution"),
        ({"institution": "T-001", "query": "x"}, "institution"),
        ({"query": ""}, "query"),
        ({"query": "   "}, "query"),
        ({"query": 5}, "query"),
        ({"query": "x" * 2001}, "query"),
        ({"query": "x", "k": 0}, "k"),
        ({"query": "x", "k": "ten"}, "k"),
        ({"query": "x", "k": 2.5}, "k"),
        ({"query": "x", "lang": "de"}, "lang"),
        ({"query": "x", "filters": {"category": "9"}}, "filters.category"),
        ({"query": "x", "filters": {"powiat_teryt": "1401"}}, "filters.powiat_teryt"),
        ({"query": "x", "filters": {"cross_sector_only": "yes"}}, "filters.cross_sector_only"),
        ({"query": "x", "filters": {"max_distance_km": -1}}, "filters.max_distance_km"),
        ({"query": "robotyka", "filters": {"max_distance_km": 10}}, "filters.max_distance_km"),
        ({"query": "szukamy kogoś, kto"}, "query"),
        ({"query": "🙂🙂"}, "query"),
        ({"query": "x", "filters": {"colour": "red"}}, "filters.colour"),
        ({"query": "x", "filters": "all"}, "filters"),
    ],
)
def test_bad_match_requests_name_the_field(seeded, client, body, field):
    response = client.post("/match", json=body)
    assert response.status_code == 422
    fields = [f["field"] for f in response.json["error"]["fields"]]
    assert field in fields, response.json


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"robotyka"', "null"])
def test_a_body_that_is_no_json_object_is_a_400(seeded, client, body):
    for path in ("/match", "/institutions", "/institutions/T-001/feedback"):
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code == 400, (path, response.json)
        assert response.json["error"]["code"] == "bad_request"
        assert response.json["error"]["fields"][0]["field"] == "_body"


def test_unknown_institution_is_a_404(seeded, client):
    response = client.post("/match", json={"institution": "NOPE"})
    assert response.status_code == 404
    assert client.get("/institutions/NOPE/suggestions").status_code == 404


def test_match_without_index_is_a_503(app, client):
    response = client.post("/match", json={"query": "sala"})
    assert response.status_code == 503
    assert response.json["error"]["code"] == "index_missing"


def test_staff_suggestions_are_the_same_suggestions_as_match(seeded, client):
    response = client.get("/institutions/T-005/suggestions?k=5")
    assert response.status_code == 200
    staff = [(r["institution"]["external_id"], r["score"]) for r in response.json["results"]]
    portal = [
        (r["institution"]["external_id"], r["score"])
        for r in match(client, institution="T-005", k=5)["results"]
    ]
    assert staff and staff == portal


def test_staff_suggestions_validate_query_args(seeded, client):
    assert client.get("/institutions/T-006/suggestions?k=abc").status_code == 422
    assert client.get("/institutions/T-006/suggestions?lang=fr").status_code == 422


def test_new_institution_gets_suggestions_before_reindex(seeded, client):
    from tests.conftest import small_cards

    card = small_cards()[7]
    card["external_id"] = "T-NEW"
    card["partners"] = []
    assert client.post("/institutions", json=card).status_code == 201
    ids = [r["institution"]["external_id"] for r in match(client, institution="T-NEW")["results"]]
    assert ids and "T-NEW" not in ids


def test_deleted_institution_disappears_from_results_at_once(seeded, client):
    before = [r["institution"]["external_id"] for r in match(client, institution="T-001", k=20)["results"]]
    assert "T-002" in before
    assert client.delete("/institutions/T-002").status_code == 204
    after = [r["institution"]["external_id"] for r in match(client, institution="T-001", k=20)["results"]]
    assert "T-002" not in after


def test_ranking_overrides_from_a_config_file_change_the_scores(tmp_path):
    from service import create_app
    from tests.conftest import SMALL

    overrides = tmp_path / "ranking.json"
    overrides.write_text('{"weights": {"sector": 0.0, "reach": 0.0}}')
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
            "INDEX_DIR": str(tmp_path / "ix"),
            "ENCODER": "hashing",
            "RANKING_CONFIG": str(overrides),
        }
    )
    client = app.test_client()
    client.post("/institutions:import", data=SMALL.read_bytes())
    client.post("/admin/reindex")
    for result in match(client, institution="T-001")["results"]:
        assert not {"sector", "reach"} & set(result["score_parts"])


def test_a_bad_ranking_config_stops_the_service_at_start(tmp_path):
    from service import create_app

    overrides = tmp_path / "ranking.json"
    overrides.write_text('{"weights": {"charisma": 1.0}}')
    with pytest.raises(RuntimeError, match="charisma"):
        create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
                "INDEX_DIR": str(tmp_path / "ix"),
                "ENCODER": "hashing",
                "RANKING_CONFIG": str(overrides),
            }
        )


def test_staff_see_where_a_partner_stands_and_why(seeded, client):
    listed = match(client, institution="T-010", k=3)["results"]
    first = listed[0]["institution"]["external_id"]
    response = client.get(f"/institutions/T-010/suggestions/{first}?k=3")
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["status"], body["position"], body["k"]) == ("suggested", 1, 3)
    assert body["score"] == listed[0]["score"] and body["score_parts"] == listed[0]["score_parts"]
    assert body["last_suggested_score"] == listed[-1]["score"]
    assert "1. miejsce na liście 3 propozycji" in body["standing"]
    # Worded as the staff suggestions word it.
    staff = client.get("/institutions/T-010/suggestions?k=3").json["results"][0]
    assert body["explanation"] == staff["explanation"] and body["reasons"] == staff["reasons"]
    assert not {"person", "email", "phone"} & set(body["institution"].get("contact", {}))
    # An existing partner is explained too, and told apart from a weak candidate.
    partner = client.get("/institutions/T-010/suggestions/T-009?lang=en").json
    assert partner["status"] == "existing_partner" and partner["position"] is None
    assert "already your partner" in partner["standing"] and partner["explanation"]


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/institutions/T-010/suggestions/T-010", 422, "partner"),
        ("/institutions/T-010/suggestions/NOPE", 404, "partner"),
        ("/institutions/NOPE/suggestions/T-010", 404, "external_id"),
        ("/institutions/T-010/suggestions/T-001?k=abc", 422, "k"),
        ("/institutions/T-010/suggestions/T-001?lang=fr", 422, "lang"),
    ],
)
def test_a_standing_request_names_the_field_at_fault(seeded, client, path, status, field):
    response = client.get(path)
    assert response.status_code == status
    assert field in [f["field"] for f in response.json["error"]["fields"]]


def test_a_search_typed_without_polish_letters_says_how_it_was_read(seeded, client):
    body = match(client, query="praktyki w kuchni dla uczniow", k=3)
    assert body["respelt"] == "praktyki w kuchni dla uczniów"
    assert "respelt" not in match(client, query="praktyki w kuchni dla uczniów", k=3)


def test_a_search_written_in_english_is_explained_in_english_unless_asked_otherwise(seeded, client):
    def explained(text, **lang):
        return [r["explanation"] for r in match(client, query=text, k=3, **lang)["results"]]

    english = "internships in a hotel kitchen for cooking students"
    assert explained(english) and explained(english) == explained(english, lang="en")
    assert explained(english, lang="pl") != explained(english)
    polish = "nauka pływania dla uczniów"
    assert explained(polish) == explained(polish, lang="pl") != explained(polish, lang="en")


def test_a_powiat_filter_off_its_pattern_says_what_is_expected(seeded, client):
    for powiat in ("9999", ["1261", "99"]):
        response = client.post("/match", json={"query": "sala", "filters": {"powiat_teryt": powiat}})
        assert response.status_code == 422
        assert response.json["error"]["fields"] == [
            {
                "field": "filters.powiat_teryt",
                "message": "Must be a 4-digit TERYT powiat code of Małopolska (12xx).",
            }
        ]
    listed = client.get("/institutions?powiat_teryt=Krak%C3%B3w")
    assert listed.json["error"]["fields"][0]["message"] == "Must be a 4-digit TERYT powiat code."
