"""Fiszki over HTTP: import, CRUD, validation errors, contact data protection."""

from __future__ import annotations

import json

import pytest

from service import create_app
from tests.conftest import SMALL, bearer, small_cards


def test_import_jsonl_creates_then_reports_unchanged(client):
    first = client.post("/institutions:import", data=SMALL.read_bytes())
    assert first.status_code == 200
    assert first.json["created"] == 10
    again = client.post("/institutions:import", data=SMALL.read_bytes())
    assert again.json == {
        "created": 0,
        "updated": 0,
        "unchanged": 10,
        "rejected": 0,
        "errors": [],
        "warnings": [],
    }


def test_import_json_array_upserts_by_external_id(client):
    cards = small_cards()
    client.post("/institutions:import", data=json.dumps(cards[:3]))
    cards[0]["name"] = "Technikum Gastronomiczne im. Mikołaja Reja w Wieliczce"
    response = client.post("/institutions:import", data=json.dumps(cards[:3]))
    assert response.json["updated"] == 1 and response.json["unchanged"] == 2
    assert client.get("/institutions/T-001").json["name"].endswith("Reja w Wieliczce")


def test_bad_record_rejects_the_whole_file_with_position_and_field(client):
    cards = small_cards()
    cards[4]["category"] = "school"
    cards[7]["location"]["lat"] = "north"
    response = client.post("/institutions:import", data=json.dumps(cards))
    assert response.status_code == 422
    errors = response.json["error"]["fields"]
    assert {(e["index"], e["field"]) for e in errors} == {(4, "category"), (7, "location.lat")}
    assert client.get("/institutions").json["total"] == 0


def test_partial_import_keeps_valid_records_and_nothing_of_bad_ones(client):
    cards = small_cards()
    del cards[2]["description"]
    response = client.post("/institutions:import?partial=true", data=json.dumps(cards))
    assert response.status_code == 200
    assert response.json["created"] == 9 and response.json["rejected"] == 1
    assert response.json["errors"][0]["field"] == "description"
    assert client.get("/institutions/T-003").status_code == 404


def test_jsonl_syntax_error_reports_the_line(client):
    lines = SMALL.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3][:-5]
    response = client.post("/institutions:import", data="\n".join(lines))
    assert response.status_code == 422
    assert response.json["error"]["fields"][0]["line"] == 4


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda c: c.pop("external_id"), "external_id"),
        (lambda c: c.update(external_id="has space"), "external_id"),
        (lambda c: c.update(name=""), "name"),
        (lambda c: c.update(category=9), "category"),
        (lambda c: c.update(category=True), "category"),
        (lambda c: c.update(subtype="library"), "subtype"),
        (lambda c: c.update(legal_form="state"), "legal_form"),
        (lambda c: c.update(offers="sala"), "offers"),
        (lambda c: c.update(offers=[{"description": "bez tytułu"}]), "offers.0.title"),
        (lambda c: c.update(needs=[""]), "needs.0.title"),
        (lambda c: c.update(target_groups=["aliens"]), "target_groups.0"),
        (lambda c: c.update(scope="planet"), "scope"),
        (lambda c: c["location"].update(powiat_teryt="1262"), "location.powiat_teryt"),
        (lambda c: c["location"].update(gmina_teryt="1219999"), "location.gmina_teryt"),
        (lambda c: c["location"].update(lat=52.2, lon=21.0), "location.lat"),
        (lambda c: c["contact"].update(email="not-an-email"), "contact.email"),
        (lambda c: c.update(partners=["T-404"]), "partners.0"),
        (lambda c: c.update(colour="blue"), "colour"),
    ],
)
def test_invalid_card_is_a_422_naming_the_field(client, mutate, field):
    card = small_cards()[0]
    mutate(card)
    response = client.post("/institutions", json=card)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json["error"]["fields"]], response.json


def test_create_conflict_replace_and_delete(client):
    card = small_cards()[0]
    assert client.post("/institutions", json=card).status_code == 201
    assert client.post("/institutions", json=card).status_code == 409
    card["description"] = "Nowy opis szkoły."
    assert client.put("/institutions/T-001", json=card).status_code == 200
    assert client.get("/institutions/T-001").json["description"] == "Nowy opis szkoły."
    assert client.put("/institutions/T-999", json=card).status_code == 409
    assert client.delete("/institutions/T-001").status_code == 204
    assert client.get("/institutions/T-001").status_code == 404
    assert client.delete("/institutions/T-001").status_code == 404


def test_non_object_body_is_a_400(client):
    assert client.post("/institutions", data="[1,2]", content_type="application/json").status_code == 400


def test_list_filters_and_paginates(client):
    client.post("/institutions:import", data=SMALL.read_bytes())
    page = client.get("/institutions?category=2&limit=2").json
    assert page["total"] == 5 and len(page["items"]) == 2
    assert client.get("/institutions?limit=0").status_code == 422
    assert client.get("/institutions?offset=x").status_code == 422


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        # A parameter the endpoint does not know is refused, not ignored: "page" does not page.
        ("get", "/institutions?page=2", "page"),
        ("get", "/institutions?category=9", "category"),
        ("get", "/institutions?powiat_teryt=Krak%C3%B3w", "powiat_teryt"),
        ("post", "/institutions:import?partial=maybe", "partial"),
        ("post", "/admin/reindex?from_stored=perhaps", "from_stored"),
    ],
)
def test_query_parameters_are_validated_by_name(client, method, path, field):
    response = client.open(path, method=method.upper(), data=SMALL.read_bytes() if method == "post" else None)
    assert response.status_code == 422, response.json
    assert [f["field"] for f in response.json["error"]["fields"]] == [field]
    assert client.get("/institutions").json["total"] == 0  # nothing was imported


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("robotyki", {"T-006"}),  # in the description
        ("wieliczce technikum", {"T-001"}),  # every word, each anywhere
        ("zakopane", {"T-008"}),  # the town, any case
        ("POLITECHNIKA MAŁOPOLSKA", {"T-007"}),  # Polish letters fold too (SQLite folds only ASCII)
        ("%", set()),  # % is a character, not a wildcard
        ("szko_a", set()),  # so is _ (as a wildcard it would find every "Szkoła")
    ],
)
def test_list_search_matches_every_word_in_name_description_or_town(client, q, found):
    client.post("/institutions:import", data=SMALL.read_bytes())
    items = client.get("/institutions", query_string={"q": q}).json["items"]
    assert {i["external_id"] for i in items} == found


@pytest.mark.parametrize(
    ("q", "status"),
    [
        (" ".join(["a"] * 60), 200),  # many repeats of one word are one word
        (" ".join(f"w{i}" for i in range(11)), 422),
        (" ".join(f"w{i}" for i in range(2000)), 422),
        ("x" * 201, 422),
    ],
)
def test_an_overlong_search_is_a_422_on_q(client, q, status):
    client.post("/institutions:import", data=SMALL.read_bytes())
    response = client.get("/institutions", query_string={"q": q})
    assert response.status_code == status
    if status == 422:
        assert response.json["error"]["fields"][0]["field"] == "q"


def test_body_over_the_size_limit_is_a_413(tmp_path):
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "INDEX_DIR": str(tmp_path),
            "ENCODER": "hashing",
            "MAX_CONTENT_LENGTH": 1000,
        }
    )
    response = app.test_client().post("/institutions:import", data=SMALL.read_bytes())
    assert response.status_code == 413
    assert response.json["error"]["code"]


PERSONAL = {"person", "email", "phone"}


@pytest.fixture
def guarded(api):
    return api


@pytest.mark.parametrize("token", [None, "wrong", "portal-1x"])
def test_personal_contact_data_is_hidden_from_the_public(guarded, token):
    card = guarded.get("/institutions/T-001", headers=bearer(token)).json
    assert card["contact"] == {"www": "https://t1.example.pl"}
    for item in guarded.get("/institutions", headers=bearer(token)).json["items"]:
        assert not PERSONAL & set(item["contact"])
    for r in guarded.post("/match", json={"institution": "T-001"}, headers=bearer(token)).json["results"]:
        assert set(r["institution"]["contact"]) == {"www"}
        assert r["institution"]["contact"]["www"].startswith("https://t")


@pytest.mark.parametrize("token", ["s3cret", "portal-1", "portal-2"])
def test_admin_and_contact_readers_see_personal_contact_data(guarded, token):
    card = guarded.get("/institutions/T-001", headers=bearer(token)).json
    assert card["contact"] == {
        "person": "Anna Kowalska",
        "email": "kontakt1@szkola.example.pl",
        "phone": "+48 600 100 200",
        "www": "https://t1.example.pl",
    }
    results = guarded.get("/institutions/T-001/suggestions", headers=bearer(token)).json["results"]
    assert results
    for r in results:
        number = r["institution"]["external_id"].removeprefix("T-").lstrip("0")
        assert r["institution"]["contact"]["email"] == f"kontakt{number}@szkola.example.pl"


def test_a_contact_reader_cannot_change_anything(guarded):
    reader = bearer("portal-1")
    assert guarded.post("/institutions:import", data=SMALL.read_bytes(), headers=reader).status_code == 401
    assert guarded.delete("/institutions/T-001", headers=reader).status_code == 401
    assert guarded.post("/admin/reindex", headers=reader).status_code == 401
    assert guarded.get("/institutions/T-001").status_code == 200


def test_showing_personal_contact_data_is_audited_without_the_token(guarded, caplog):
    with caplog.at_level("INFO", logger="matcher.audit"):
        guarded.get("/institutions/T-002")
        guarded.get("/institutions/T-002", headers=bearer("portal-2"))
        guarded.post("/match", json={"institution": "T-001", "k": 3}, headers=bearer("portal-2"))
    lines = [r.getMessage() for r in caplog.records if r.name == "matcher.audit"]
    assert len(lines) == 2  # the public read is not personal data
    assert "role=contact_reader" in lines[0] and "institutions=T-002" in lines[0]
    assert "/match" in lines[1] and len(lines[1].split("institutions=")[1].split(",")) == 3
    assert not any("portal-2" in line for line in lines)


def test_contact_data_is_hidden_when_no_admin_token_is_configured(client):
    client.post("/institutions:import", data=SMALL.read_bytes())
    assert client.get("/institutions/T-001").json["contact"] == {"www": "https://t1.example.pl"}


def test_the_audit_log_can_go_to_a_file(tmp_path):
    log = tmp_path / "audit.log"
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "INDEX_DIR": str(tmp_path),
            "ENCODER": "hashing",
            "ADMIN_TOKEN": "s3cret",
            "AUDIT_LOG": str(log),
        }
    )
    client = app.test_client()
    admin = {"Authorization": "Bearer s3cret"}
    client.post("/institutions:import", data=SMALL.read_bytes(), headers=admin)
    client.get("/institutions/T-003", headers=admin)
    client.get("/institutions/T-004")
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and "role=admin" in lines[0] and lines[0].endswith("institutions=T-003")


def test_patch_changes_only_the_fields_given(guarded):
    admin = bearer("s3cret")
    before = guarded.get("/institutions/T-004", headers=admin).json
    patch = {
        "offers": [*before["offers"], "Gry planszowe do wypożyczenia na ferie"],
        "contact": {"phone": None},
    }
    response = guarded.patch(
        "/institutions/T-004", json=patch, headers={**admin, "Content-Type": "application/merge-patch+json"}
    )
    assert response.status_code == 200, response.json
    after = guarded.get("/institutions/T-004", headers=admin).json
    assert after["offers"][-1] == "Gry planszowe do wypożyczenia na ferie"
    assert after["contact"] == {**before["contact"], "phone": None}  # the e-mail and person stay
    unchanged = {"name", "description", "needs", "location", "partners", "target_groups", "themes"}
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}


@pytest.mark.parametrize(
    ("patch", "status", "field"),
    [
        ({"name": ""}, 422, "name"),
        ({"location": {"gmina_teryt": "0000000"}}, 422, "location.gmina_teryt"),
        ({"offers": "sala"}, 422, "offers"),
        ({"external_id": "T-999"}, 409, "external_id"),
    ],
)
def test_a_bad_patch_is_refused_and_changes_nothing(guarded, patch, status, field):
    admin = bearer("s3cret")
    before = guarded.get("/institutions/T-004", headers=admin).json
    response = guarded.patch("/institutions/T-004", json=patch, headers=admin)
    assert response.status_code == status
    assert any(d["field"].startswith(field) for d in response.json["error"]["fields"]), response.json
    assert guarded.get("/institutions/T-004", headers=admin).json == before


def test_patch_needs_the_admin_and_an_existing_card(guarded):
    assert (
        guarded.patch("/institutions/T-004", json={"name": "X" * 5}, headers=bearer("portal-1")).status_code
        == 401
    )
    assert (
        guarded.patch("/institutions/NO-SUCH", json={"name": "Nowa"}, headers=bearer("s3cret")).status_code
        == 404
    )
    assert guarded.patch("/institutions/T-004", data="[1]", headers=bearer("s3cret")).status_code == 400


def test_a_round_trip_by_a_caller_who_sees_no_contacts_keeps_them(app, client):
    """Without tokens (development) writes are open but persons are hidden: a GET-then-PUT
    must not erase what the caller was never shown; an explicit null still clears."""
    from matcher.registry import get_institution
    from service.state import db_session

    client.post("/institutions:import", data=SMALL.read_bytes())
    card = client.get("/institutions/T-001").json
    assert not {"person", "email", "phone"} & set(card["contact"])
    card["description"] = "Nowy opis technikum."
    assert client.put("/institutions/T-001", json=card).status_code == 200
    with app.app_context():
        stored = get_institution(db_session(), "T-001")
        assert stored.contact_person and stored.contact_email
        assert stored.description == "Nowy opis technikum."
    card["contact"]["email"] = None
    assert client.put("/institutions/T-001", json=card).status_code == 200
    with app.app_context():
        stored = get_institution(db_session(), "T-001")
        assert stored.contact_email is None and stored.contact_person


# Coordinates of the seats of Kraków and Nowy Targ (the gazetteer's).
KRAKOW = {"lat": 50.06143, "lon": 19.93658}
NOWY_TARG = {
    "town": "Nowy Targ",
    "gmina_teryt": "1211011",
    "powiat_teryt": "1211",
    "lat": 49.47783,
    "lon": 20.03228,
}


def _fields(response) -> dict[str, str]:
    return {f["field"]: f["message"] for f in response.json["error"]["fields"]}


def test_coordinates_far_from_their_gmina_are_a_422_saying_how_far_and_from_which(client):
    card = {**small_cards()[0], "external_id": "NT-1", "location": {**NOWY_TARG, **KRAKOW}}
    response = client.post("/institutions", json=card)
    assert response.status_code == 422, response.json
    expected = (
        "Coordinates lie 65 km from gmina Nowy Targ (1211011), farther than 25 km from any of its "
        "places; they are near Kraków in gmina Kraków (1261011): check lat/lon or gmina_teryt."
    )
    assert _fields(response) == {"location.lat": expected, "location.lon": expected}
    card["location"] = NOWY_TARG  # the town's own coordinates pass
    assert client.post("/institutions", json=card).status_code == 201


def test_swapped_coordinates_are_named_as_swapped(client):
    card = small_cards()[6]
    card["location"].update(lat=KRAKOW["lon"], lon=KRAKOW["lat"])
    response = client.post("/institutions", json=card)
    assert response.status_code == 422
    message = (
        "Coordinates lie outside Małopolska; lat and lon look swapped: "
        "lat 50.06143, lon 19.93658 would lie inside."
    )
    assert _fields(response) == {"location.lat": message, "location.lon": message}


@pytest.mark.parametrize(
    ("gmina", "powiat", "message"),
    [
        (
            "1261029",
            "1261",
            "1261029 is Kraków-Krowodrza, a district (delegatura) of Kraków; "
            "use the city's gmina code 1261011.",
        ),
        (
            "1201064",
            "1201",
            "1201064 is the town of the urban-rural gmina Nowy Wiśnicz; use the gmina's code 1201063.",
        ),
        ("1219999", "1219", "Unknown gmina TERYT code."),
    ],
)
def test_a_code_of_a_part_of_a_gmina_names_the_gmina_code(client, gmina, powiat, message):
    card = small_cards()[6]
    card["location"].update(gmina_teryt=gmina, powiat_teryt=powiat)
    response = client.post("/institutions", json=card)
    assert response.status_code == 422
    assert _fields(response) == {"location.gmina_teryt": message}


@pytest.mark.parametrize(
    ("mutate", "field", "message"),
    [
        (
            lambda c: c["location"].update(powiat_teryt="9999"),
            "location.powiat_teryt",
            "Must be a 4-digit TERYT powiat code of Małopolska (12xx).",
        ),
        (
            lambda c: c.update(partners=["T 002"]),
            "partners.0",
            "Must be an external_id: 1-64 characters of letters, digits and . _ : -",
        ),
        (
            lambda c: c["contact"].update(phone="dzwonić rano"),
            "contact.phone",
            "Must be a phone number: 6-40 digits, spaces, brackets and hyphens, optionally after a +.",
        ),
    ],
)
def test_a_value_not_matching_its_pattern_is_told_what_is_expected(client, mutate, field, message):
    card = small_cards()[0]
    mutate(card)
    response = client.post("/institutions", json=card)
    assert response.status_code == 422
    assert _fields(response)[field] == message


# T-001's name as another registry would write it: other case, no Polish letters, punctuation.
T001_AGAIN = "TECHNIKUM GASTRONOMICZNE, w Wieliczce."


def test_an_import_warns_of_a_card_named_as_another_in_its_gmina_and_takes_it(client):
    client.post("/institutions:import", data=SMALL.read_bytes())
    twin = {**small_cards()[0], "external_id": "W-1", "name": T001_AGAIN, "partners": []}
    response = client.post("/institutions:import", data=json.dumps(twin, ensure_ascii=False) + "\n")
    assert response.status_code == 200, response.json
    assert response.json["created"] == 1
    assert response.json["warnings"] == [
        {
            "index": 0,
            "line": 1,
            "external_id": "W-1",
            "field": "name",
            "message": "Same name as T-001, in the same gmina: if it is the same institution, keep one card "
            "(imported anyway: branches may share a name).",
            "duplicate_of": "T-001",
        }
    ]
    assert client.get("/institutions/W-1").status_code == 200


def test_an_import_warns_of_a_duplicate_nearby_in_another_gmina_and_earlier_in_the_file(client):
    # Bochnia's urban and rural gminy share the town's coordinates.
    bochnia = {
        "town": "Bochnia",
        "gmina_teryt": "1201011",
        "powiat_teryt": "1201",
        "lat": 49.96905,
        "lon": 20.43028,
    }
    stored = {**small_cards()[3], "external_id": "B-1", "name": "Biblioteka „Pod Dębem”", "location": bochnia}
    assert client.post("/institutions:import", json=[stored]).json["warnings"] == []
    rural = {**bochnia, "gmina_teryt": "1201022"}
    nearby = {**stored, "external_id": "B-2", "name": "biblioteka pod debem", "location": rural}
    club = {**small_cards()[3], "external_id": "G-1", "name": "Klub Seniora „Jesień”"}
    club_again = {**club, "external_id": "G-2", "name": "KLUB SENIORA JESIEŃ"}
    cards = [nearby, club, club_again]
    response = client.post("/institutions:import", json=cards)
    assert response.status_code == 200, response.json
    found = [(w["index"], w["external_id"], w["duplicate_of"]) for w in response.json["warnings"]]
    assert found == [(0, "B-2", "B-1"), (2, "G-2", "G-1")]
    assert "0.0 km away" in response.json["warnings"][0]["message"]
    assert "in the same gmina" in response.json["warnings"][1]["message"]
    assert "line" not in response.json["warnings"][0]  # a JSON array has no lines
    # Taken as they are, they are not written again, and not warned of again.
    again = client.post("/institutions:import", json=cards)
    assert again.json["unchanged"] == 3 and again.json["warnings"] == []


def test_no_warning_for_an_update_of_the_same_id_or_the_same_name_in_a_far_gmina(client):
    client.post("/institutions:import", data=SMALL.read_bytes())
    update = small_cards()[0]
    update["description"] = "Nowy opis technikum."
    zakopane = small_cards()[7]["location"]
    far = {**small_cards()[0], "external_id": "Z-1", "name": T001_AGAIN, "location": zakopane, "partners": []}
    response = client.post("/institutions:import", json=[update, far])
    assert response.status_code == 200, response.json
    assert (response.json["updated"], response.json["created"]) == (1, 1)
    assert response.json["warnings"] == []


def test_creating_a_card_named_as_another_nearby_answers_a_warning(client):
    client.post("/institutions:import", data=SMALL.read_bytes())
    twin = {**small_cards()[0], "external_id": "W-2", "name": T001_AGAIN, "partners": []}
    created = client.post("/institutions", json=twin)
    assert created.status_code == 201, created.json
    [warning] = created.json["warnings"]
    assert (warning["field"], warning["duplicate_of"], warning["external_id"]) == ("name", "T-001", "W-2")
    # The answer goes back through PUT as it is; an update of one's own id warns of nothing new.
    assert client.put("/institutions/W-2", json=created.json).status_code == 200
    alone = {**small_cards()[7], "external_id": "W-3", "name": "Szkoła Muzyczna w Zakopanem", "partners": []}
    assert client.post("/institutions", json=alone).json["warnings"] == []
