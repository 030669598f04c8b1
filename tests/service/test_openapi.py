"""The OpenAPI document: valid, complete, and true to what the service answers."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from tests.conftest import small_cards

SKIPPED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def document(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json


def test_document_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_route_is_documented_and_nothing_else(app, document):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        served |= {(path, method.lower()) for method in rule.methods - SKIPPED_METHODS}
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert documented == served


def test_request_schemas_come_from_the_validating_schemas(document):
    schemas = document["components"]["schemas"]
    assert set(schemas["MatchRequest"]["properties"]) == {"institution", "query", "k", "filters", "lang"}
    assert schemas["MatchRequest"]["properties"]["lang"]["enum"] == ["pl", "en"]
    fiszka = schemas["Fiszka"]
    assert {"external_id", "name", "category", "offers", "needs", "location"} <= set(fiszka["required"])
    category = schemas["Filters"]["properties"]["category"]["oneOf"]
    assert category[1]["type"] == "array" and "ngo" in category[0]["enum"]
    admin_only = document["paths"]["/institutions/{external_id}"]["delete"]
    assert admin_only["security"] == [{"admin": []}] and "401" in admin_only["responses"]


def test_the_documented_example_is_served(seeded, client, document):
    media = document["paths"]["/match"]["post"]["requestBody"]["content"]["application/json"]
    response = client.post("/match", json=media["example"])
    assert response.status_code == 200, response.json
    documented = document["components"]["schemas"]["MatchResponse"]
    assert response.json["results"]
    assert set(documented["required"]) <= set(response.json) <= set(documented["properties"])
    # A search naming a town answers with the place it measured from, and one typed without
    # Polish letters with how it was read, as documented.
    named = client.post("/match", json={"query": "warsztaty robotyki dla uczniow w Wieliczce", "k": 3})
    assert named.status_code == 200, named.json
    assert set(named.json) == set(documented["properties"]) - {"gloss"}
    assert named.json["respelt"] == "warsztaty robotyki dla uczniów w Wieliczce"
    assert set(named.json["place"]) == set(documented["properties"]["place"]["properties"])
    # One written in English says which Polish words it was read with.
    english = client.post("/match", json={"query": "robotics classes for children", "k": 3})
    assert english.status_code == 200, english.json
    assert english.json["gloss"] == "robotyka klasa zajęcia dziecko"
    assert set(english.json) <= set(documented["properties"])


@pytest.mark.parametrize(
    ("method", "path", "doc_path", "body", "status"),
    [
        ("post", "/match", "/match", {"query": "robotyka", "k": "dziesięć"}, 422),
        ("post", "/match", "/match", None, 400),
        ("get", "/institutions/NO-SUCH", "/institutions/{external_id}", None, 404),
        ("get", "/institutions/NO-SUCH/suggestions", "/institutions/{external_id}/suggestions", None, 404),
        ("get", "/institutions?limit=0", "/institutions", None, 422),
        ("put", "/institutions/T-001", "/institutions/{external_id}", {"external_id": "T-002"}, 409),
    ],
)
def test_error_answers_are_documented_with_the_error_shape(
    seeded, client, document, method, path, doc_path, body, status
):
    response = getattr(client, method)(path, json=body) if body is not None else getattr(client, method)(path)
    assert response.status_code == status
    assert set(response.json["error"]) >= {"status", "code", "message"}
    assert str(status) in document["paths"][doc_path][method]["responses"]


def test_contact_rules_are_documented(document):
    schemes = document["components"]["securitySchemes"]
    assert set(schemes) == {"admin", "contact_reader", "staff"}
    contact = document["components"]["schemas"]["ContactShown"]
    assert (
        set(contact["properties"]) == {"www", "person", "email", "phone"} and "RODO" in contact["description"]
    )
    for path, method in [
        ("/match", "post"),
        ("/institutions/{external_id}", "get"),
        ("/institutions", "get"),
    ]:
        assert {"contact_reader": []} in document["paths"][path][method]["security"]
        assert {} in document["paths"][path][method]["security"]  # anonymous callers too
    put = document["paths"]["/institutions/{external_id}"]["put"]
    assert put["security"] == [{"admin": []}, {"staff": []}]
    assert document["paths"]["/institutions:import"]["post"]["security"] == [{"admin": []}]
    feedback = document["paths"]["/institutions/{external_id}/feedback"]["post"]
    assert feedback["security"] == [{"admin": []}, {"staff": []}, {"contact_reader": []}]
    verdict = document["components"]["schemas"]["Feedback"]["properties"]["verdict"]
    assert set(verdict["enum"]) == {"useful", "contacted", "not_relevant"}


def test_import_warnings_are_documented_as_answered(seeded, client, document):
    twin = {**small_cards()[0], "external_id": "W-1", "name": "Technikum Gastronomiczne w Wieliczce!"}
    response = client.post("/institutions:import", json=[twin])
    assert response.status_code == 200, response.json
    [warning] = response.json["warnings"]
    schemas = document["components"]["schemas"]
    documented = schemas["ImportWarning"]
    assert set(documented["required"]) <= set(warning) <= set(documented["properties"])
    assert set(response.json) == set(schemas["ImportReport"]["properties"])
    created = document["paths"]["/institutions"]["post"]["responses"]["201"]["content"]["application/json"]
    assert created["schema"]["allOf"][1]["properties"]["warnings"]["items"] == {
        "$ref": "#/components/schemas/ImportWarning"
    }
