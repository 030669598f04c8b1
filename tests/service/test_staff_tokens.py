"""Staff tokens: an institution's staff keep their own card current and read contact data."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN, SMALL, small_cards
from tests.conftest import issue_staff_token as issue


def test_staff_change_their_own_card_and_nothing_else(api):
    _, staff = issue(api, "T-004")
    own = api.patch(
        "/institutions/T-004", json={"needs": ["Wolontariusze do akcji Cała Polska czyta"]}, headers=staff
    )
    assert own.status_code == 200, own.json
    assert own.json["needs"] == ["Wolontariusze do akcji Cała Polska czyta"]
    card = small_cards()[3]
    assert api.put("/institutions/T-004", json=card, headers=staff).status_code == 200
    other = small_cards()[4]
    assert api.put("/institutions/T-005", json=other, headers=staff).status_code == 401
    assert api.patch("/institutions/T-005", json={"name": "Przejęta"}, headers=staff).status_code == 401
    assert api.delete("/institutions/T-004", headers=staff).status_code == 401
    assert api.post("/institutions", json={**card, "external_id": "T-404"}, headers=staff).status_code == 401
    assert api.post("/institutions:import", data=SMALL.read_bytes(), headers=staff).status_code == 401
    assert api.post("/admin/reindex", headers=staff).status_code == 401
    assert api.post("/admin/institutions/T-004/tokens", json={}, headers=staff).status_code == 401
    assert api.get("/institutions/T-005", headers=ADMIN).json["name"] != "Przejęta"


def test_staff_read_personal_contact_data_and_the_audit_names_them(api, caplog):
    _, staff = issue(api, "T-004")
    with caplog.at_level("INFO", logger="matcher.audit"):
        results = api.get("/institutions/T-004/suggestions?k=3", headers=staff).json["results"]
    assert results and all("email" in r["institution"]["contact"] for r in results)
    assert any("role=staff:T-004" in r.getMessage() for r in caplog.records if r.name == "matcher.audit")


def test_a_revoked_token_is_an_ordinary_public_caller(api):
    token_id, staff = issue(api, "T-004")
    assert api.delete(f"/admin/tokens/{token_id}", headers=ADMIN).json["revoked_at"]
    assert api.patch("/institutions/T-004", json={"name": "Biblioteka"}, headers=staff).status_code == 401
    assert set(api.get("/institutions/T-004", headers=staff).json["contact"]) == {"www"}
    listed = api.get("/admin/institutions/T-004/tokens", headers=ADMIN).json["items"]
    assert [t["id"] for t in listed] == [token_id] and listed[0]["revoked_at"]
    assert "token" not in listed[0]


def test_tokens_go_with_their_institution_and_unknown_ids_are_404(api):
    _, staff = issue(api, "T-004")
    assert api.delete("/institutions/T-004", headers=ADMIN).status_code == 204
    assert api.patch("/institutions/T-004", json={"name": "Nowa"}, headers=staff).status_code == 401
    assert api.post("/admin/institutions/NO-SUCH/tokens", json={}, headers=ADMIN).status_code == 404
    assert api.get("/admin/institutions/NO-SUCH/tokens", headers=ADMIN).status_code == 404
    missing = api.delete("/admin/tokens/999999", headers=ADMIN)
    assert missing.status_code == 404 and missing.json["error"]["fields"][0]["field"] == "token_id"


def test_only_a_hash_of_the_token_is_stored(secured_app, api):
    _, staff = issue(api, "T-004")
    token = staff["Authorization"].removeprefix("Bearer ")
    from matcher.models import StaffToken

    with secured_app.app_context():
        session = secured_app.extensions["matcher"].sessions()
        stored = [row.token_hash for row in session.query(StaffToken)]
        session.close()
    assert stored and token not in stored and all(len(h) == 64 for h in stored)


def test_cli_issues_lists_and_revokes_tokens(secured_app):
    runner = secured_app.test_cli_runner()
    issued = runner.invoke(args=["token", "issue", "T-006", "--label", "Jan z pracowni"])
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip().rsplit(" ", 1)[1]
    client = secured_app.test_client()
    staff = {"Authorization": f"Bearer {token}"}
    assert (
        client.patch(
            "/institutions/T-006", json={"name": "Pracownia Robotyki Bajt 2"}, headers=staff
        ).status_code
        == 200
    )
    token_id = issued.output.split()[1]
    listed = runner.invoke(args=["token", "list", "T-006"])
    assert "Jan z pracowni" in listed.output and token not in listed.output
    assert runner.invoke(args=["token", "revoke", token_id]).exit_code == 0
    assert client.patch("/institutions/T-006", json={"name": "Bajt"}, headers=staff).status_code == 401
    assert runner.invoke(args=["token", "issue", "NO-SUCH"]).exit_code != 0


def test_a_token_expires(secured_app, api):
    response = api.post(
        "/admin/institutions/T-004/tokens", json={"label": "zastępstwo", "days": 30}, headers=ADMIN
    )
    assert response.status_code == 201
    staff = {"Authorization": f"Bearer {response.json['token']}"}
    assert response.json["expires_at"] > response.json["created_at"]
    assert (
        api.patch("/institutions/T-004", json={"name": "Biblioteka w Gdowie"}, headers=staff).status_code
        == 200
    )
    from datetime import UTC, datetime, timedelta

    from matcher.models import StaffToken

    with secured_app.app_context():
        session = secured_app.extensions["matcher"].sessions()
        session.get(StaffToken, response.json["id"]).expires_at = datetime.now(UTC) - timedelta(minutes=1)
        session.commit()
        session.close()
    assert api.patch("/institutions/T-004", json={"name": "Biblioteka"}, headers=staff).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"), [({"days": 0}, "days"), ({"days": "30"}, "days"), ({"label": 5}, "label")]
)
def test_a_bad_token_request_names_the_field(api, body, field):
    response = api.post("/admin/institutions/T-004/tokens", json=body, headers=ADMIN)
    assert response.status_code == 422 and field in [f["field"] for f in response.json["error"]["fields"]]


def test_the_public_index_status_holds_no_hash_of_the_cards(api):
    # The fingerprint hashes every card with its personal contacts: public card + guessed phone
    # number would let anyone test the guess offline, so only the admin sees it.
    _, staff = issue(api, "T-001")
    for headers in ({}, staff, {"Authorization": "Bearer portal-1"}):
        status = api.get("/admin/index", headers=headers).json
        assert "data_fingerprint" not in status and "data_fingerprint" not in status["loaded"]
        assert status["stale"] is False and status["loaded"]["generation"]
    admin = api.get("/admin/index", headers=ADMIN).json
    assert admin["data_fingerprint"] == admin["loaded"]["data_fingerprint"]
