"""Input that parses as JSON or HTTP but cannot be stored: a clear 4xx naming the field, data untouched.

Every case here answered 500 (or stored a near-duplicate card) before; each runs on SQLite
and on PostgreSQL, which is stricter about text.
"""

from __future__ import annotations

import json
import threading

import pytest

from tests.conftest import small_cards

DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
JSON = {"content_type": "application/json"}


def _field(response) -> str:
    return response.json["error"]["fields"][0]["field"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/match"),
        ("post", "/institutions"),
        ("put", "/institutions/T-004"),
        ("patch", "/institutions/T-004"),
        ("post", "/institutions/T-004/feedback"),
    ],
)
def test_json_nested_past_the_recursion_limit_is_a_400(seeded, client, method, path):
    response = getattr(client, method)(path, data=DEEP_ARRAY, **JSON)
    assert response.status_code == 400, response.json
    assert _field(response) == "_body"


def test_json_deeper_than_the_limit_is_a_400_naming_the_body(seeded, client):
    nested: object = "2"
    for _ in range(40):  # parses fine, but no request is that deep
        nested = [nested]
    body = {"query": "sala", "filters": {"category": nested}}
    response = client.post("/match", json=body)
    assert response.status_code == 400 and _field(response) == "_body", response.json
    assert "32 levels" in response.json["error"]["message"]


def test_an_import_nested_past_the_recursion_limit_is_refused(seeded, client):
    for body in (DEEP_ARRAY, '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"):
        response = client.post("/institutions:import", data=body)
        assert response.status_code == 422, response.json
        assert response.json["error"]["fields"][0]["field"] in {"_file", "_record"}


@pytest.mark.parametrize("bad", ["\ud800", "\x00"], ids=["lone surrogate", "nul"])
def test_unstorable_characters_are_refused_naming_the_field_and_nothing_changes(seeded, client, bad):
    before = client.get("/institutions/T-004").json
    card = small_cards()[3]
    cases = [
        ("put", "/institutions/T-004", {**card, "name": f"Nowa {bad} nazwa"}, "name"),
        ("patch", "/institutions/T-004", {"offers": ["Warsztaty", f"Sala {bad}"]}, "offers.1"),
        ("patch", "/institutions/T-004", {"contact": {"person": f"Jan {bad}"}}, "contact.person"),
        ("post", "/institutions", {**card, "external_id": f"X{bad}1"}, "external_id"),
        ("post", "/match", {"query": f"sala na koncert {bad}"}, "query"),
        ("post", "/match", {"institution": f"T-00{bad}"}, "institution"),
    ]
    for method, path, body, field in cases:
        # json.dumps escapes the surrogate ("\\ud800"), as a client in another language would.
        response = getattr(client, method)(path, data=json.dumps(body), **JSON)
        assert response.status_code == 422, (path, body, response.json)
        assert _field(response) == field, (path, response.json)
    feedback = {"partner": "T-002", "verdict": "useful", "comment": f"ok {bad}"}
    response = client.post("/institutions/T-001/feedback", data=json.dumps(feedback), **JSON)
    assert response.status_code == 422 and _field(response) == "comment", response.json
    assert client.get("/institutions/T-004").json == before


def test_an_import_with_unstorable_text_names_the_record_and_field(seeded, client):
    cards = small_cards()[:2]
    cards[1]["description"] = "Opis \x00 z bajtem zerowym"
    array = client.post("/institutions:import", json=cards)
    assert array.status_code == 422
    assert array.json["error"]["fields"] == [
        {"index": 1, "field": "description", "message": "Contains a NUL character at position 5."}
    ]
    lines = "\n".join(json.dumps(c) for c in cards)
    response = client.post("/institutions:import", data=lines)
    assert response.status_code == 422
    assert response.json["error"]["fields"][0] | {"message": ""} == {
        "index": 1,
        "line": 2,
        "field": "description",
        "message": "",
    }


def test_an_integer_too_long_to_read_is_a_422_on_import(seeded, client):
    for body in ('{"k": ' + "9" * 5000 + "}", '[{"k": ' + "9" * 5000 + "}]"):
        response = client.post("/institutions:import", data=body)
        assert response.status_code == 422, response.json
        assert "too many digits" in response.json["error"]["fields"][0]["message"]


def test_a_nul_in_a_path_id_or_a_query_parameter_is_refused(seeded, client):
    assert client.get("/institutions/T-001%00").status_code == 404
    assert client.get("/institutions/%00/suggestions").status_code == 404
    response = client.get("/institutions?q=a%00b")
    assert response.status_code == 400 and _field(response) == "q"
    # An id that decodes to "/" is a JSON 404, not a redirect to an HTML page.
    slash = client.get("/institutions/%2F/suggestions")
    assert slash.status_code == 404 and slash.is_json


def test_an_id_with_a_trailing_newline_is_not_an_id(seeded, client):
    card = small_cards()[0]
    for body in ({**card, "external_id": "X-2\n"}, {**card, "external_id": "X-3", "partners": ["T-002\n"]}):
        response = client.post("/institutions", json=body)
        assert response.status_code == 422, response.json
    phone = {**card, "external_id": "X-4", "contact": {"phone": "+48 600 100 200\n"}}
    assert client.post("/institutions", json=phone).status_code == 422
    assert client.get("/institutions?limit=100").json["total"] == 10


def test_texts_are_checked_as_stored_so_an_accepted_card_stays_editable(seeded, client):
    card = {**small_cards()[0], "external_id": "X-5", "partners": [], "offers": ["  ab"]}
    assert client.post("/institutions", json=card).status_code == 422
    card["offers"] = ["  Sala  "]
    created = client.post("/institutions", json=card)
    assert created.status_code == 201 and created.json["offers"] == ["Sala"]
    assert client.patch("/institutions/X-5", json={"name": "Nowa nazwa"}).status_code == 200
    # A card read with GET goes back unchanged through PUT and through PATCH.
    stored = client.get("/institutions/X-5").json
    assert client.put("/institutions/X-5", json=stored).status_code == 200
    assert client.patch("/institutions/X-5", json=stored).status_code == 200


def test_contact_fields_longer_than_their_columns_are_refused(seeded, client):
    card = {**small_cards()[0], "external_id": "X-6", "partners": []}
    long_www = {**card, "contact": {"www": "https://example.pl/" + "a" * 400}}
    long_email = {**card, "contact": {"email": "a@" + ".".join(["b" * 60] * 6) + ".pl"}}
    for body, field in ((long_www, "contact.www"), (long_email, "contact.email")):
        response = client.post("/institutions", json=body)
        assert response.status_code == 422 and _field(response) == field, response.json


def test_an_unknown_institution_in_match_names_the_institution_field(seeded, client):
    response = client.post("/match", json={"institution": "NOPE"})
    assert response.status_code == 404 and _field(response) == "institution"


def test_a_token_id_beyond_the_column_is_unknown(seeded, client):
    for token_id in (2**31, 2**63, 10**25):
        response = client.delete(f"/admin/tokens/{token_id}")
        assert response.status_code == 404 and _field(response) == "token_id", response.json


def test_rebuilding_from_stored_vectors_after_a_change_is_a_409(seeded, client):
    new_need = {"needs": ["Zupełnie nowa potrzeba, nigdy niewidziana"]}
    patched = client.patch("/institutions/T-004", json=new_need)
    assert patched.status_code == 200
    response = client.post("/admin/reindex?from_stored=true")
    assert response.status_code == 409 and _field(response) == "from_stored", response.json
    assert client.post("/admin/reindex").status_code == 200
    assert client.post("/admin/reindex?from_stored=true").status_code == 200


def test_two_requests_encoding_the_same_new_card_both_succeed(seeded, client):
    card = {**small_cards()[2], "external_id": "RACE-1", "partners": []}
    card["offers"], card["needs"] = ["Oferta, której nikt jeszcze nie zakodował"], ["Potrzeba też nowa"]
    assert client.post("/institutions", json=card).status_code == 201
    app, statuses, start = client.application, [], threading.Barrier(4)

    def ask(i: int) -> None:
        other = app.test_client()
        start.wait()
        if i % 2:
            statuses.append(other.get("/institutions/RACE-1/suggestions").status_code)
        else:
            statuses.append(other.post("/match", json={"institution": "RACE-1"}).status_code)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4
