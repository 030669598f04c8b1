"""Feedback on suggestions: recorded per pair, hides dismissed partners, and tunes the weights."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ADMIN, bearer, issue_staff_token


def suggested(api, external_id: str, headers=None) -> list[str]:
    response = api.get(f"/institutions/{external_id}/suggestions?k=20", headers=headers or {})
    assert response.status_code == 200, response.json
    return [r["institution"]["external_id"] for r in response.json["results"]]


def test_staff_judge_a_suggestion_and_the_latest_word_counts(api):
    _, staff = issue_staff_token(api, "T-004")
    partner = suggested(api, "T-004")[0]
    first = api.post(
        "/institutions/T-004/feedback", json={"partner": partner, "verdict": "useful"}, headers=staff
    )
    assert first.status_code == 201, first.json
    assert first.json["given_by"] == "staff:T-004"
    again = api.post(
        "/institutions/T-004/feedback",
        json={"partner": partner, "verdict": "contacted", "comment": "Umówione spotkanie w marcu"},
        headers=staff,
    )
    assert again.status_code == 200
    items = api.get("/institutions/T-004/feedback", headers=staff).json["items"]
    assert [(i["partner"], i["verdict"], i["comment"]) for i in items] == [
        (partner, "contacted", "Umówione spotkanie w marcu")
    ]


def test_a_dismissed_partner_is_not_suggested_to_that_institution_again(api):
    _, staff = issue_staff_token(api, "T-008")
    before = suggested(api, "T-008")
    dismissed = before[0]
    others_before = {asker: suggested(api, asker) for asker in ("T-001", "T-005", "T-010")}
    response = api.post(
        "/institutions/T-008/feedback", json={"partner": dismissed, "verdict": "not_relevant"}, headers=staff
    )
    assert response.status_code == 201
    after = suggested(api, "T-008")
    assert dismissed not in after and after == [i for i in before if i != dismissed][: len(after)]
    by_match = api.post("/match", json={"institution": "T-008", "k": 20}).json["results"]
    assert dismissed not in [r["institution"]["external_id"] for r in by_match]
    # Only the staff who dismissed it stop seeing it.
    assert {asker: suggested(api, asker) for asker in others_before} == others_before
    assert any(dismissed in ranked for ranked in others_before.values())


def test_filters_exclude_leaves_institutions_out_before_cutting_to_k(api):
    full = api.post("/match", json={"institution": "T-001", "k": 3}).json["results"]
    first = full[0]["institution"]["external_id"]
    body = {"institution": "T-001", "k": 3, "filters": {"exclude": [first, "NO-SUCH"]}}
    rest = [r["institution"]["external_id"] for r in api.post("/match", json=body).json["results"]]
    assert first not in rest and len(rest) == 3
    assert rest[:2] == [r["institution"]["external_id"] for r in full[1:]]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"partner": "NO-SUCH", "verdict": "useful"}, 404, "partner"),
        ({"partner": "T-004", "verdict": "useful"}, 422, "partner"),  # itself
        ({"partner": "T-001", "verdict": "great"}, 422, "verdict"),
        ({"partner": "T-001"}, 422, "verdict"),
        ({"partner": "T-001", "verdict": "useful", "comment": "x" * 1001}, 422, "comment"),
        ({"partner": 7, "verdict": "useful"}, 422, "partner"),
    ],
)
def test_bad_feedback_names_the_field(api, body, status, field):
    response = api.post("/institutions/T-004/feedback", json=body, headers=ADMIN)
    assert response.status_code == status
    assert field in [f["field"] for f in response.json["error"]["fields"]], response.json
    assert api.get("/institutions/T-004/feedback", headers=ADMIN).json["items"] == []


def test_who_may_give_feedback(api):
    _, other_staff = issue_staff_token(api, "T-005")
    body = {"partner": "T-001", "verdict": "useful"}
    assert api.post("/institutions/T-004/feedback", json=body).status_code == 401
    assert api.post("/institutions/T-004/feedback", json=body, headers=other_staff).status_code == 401
    assert api.get("/institutions/T-004/feedback").status_code == 401
    portal = api.post("/institutions/T-004/feedback", json=body, headers=bearer("portal-1"))
    assert portal.status_code == 201 and portal.json["given_by"] == "contact_reader"
    assert api.post("/institutions/NO-SUCH/feedback", json=body, headers=ADMIN).status_code == 404


def test_feedback_goes_with_either_institution(api):
    api.post("/institutions/T-004/feedback", json={"partner": "T-001", "verdict": "useful"}, headers=ADMIN)
    api.post("/institutions/T-004/feedback", json={"partner": "T-002", "verdict": "useful"}, headers=ADMIN)
    assert api.delete("/institutions/T-001", headers=ADMIN).status_code == 204
    items = api.get("/institutions/T-004/feedback", headers=ADMIN).json["items"]
    assert [i["partner"] for i in items] == ["T-002"]


def test_tune_learns_weights_from_feedback(secured_app, api, tmp_path):
    runner = secured_app.test_cli_runner()
    output = tmp_path / "ranking.json"
    too_few = runner.invoke(args=["tune", "--feedback", "--output", str(output)])
    assert too_few.exit_code != 0 and "not enough feedback yet" in too_few.output
    askers = [f"T-{i:03d}" for i in range(1, 11)]
    for asker in askers:
        ranked = suggested(api, asker)
        # Staff liked the third suggestion and dismissed the first two.
        for partner, verdict in zip(ranked[:3], ("not_relevant", "not_relevant", "useful"), strict=False):
            body = {"partner": partner, "verdict": verdict}
            assert api.post(f"/institutions/{asker}/feedback", json=body, headers=ADMIN).status_code == 201
    result = runner.invoke(args=["tune", "--feedback", "--output", str(output)])
    assert result.exit_code == 0, result.output
    learned = [line for line in result.output.splitlines() if line.startswith("nDCG@10 on learn")]
    before, after = (float(x) for x in learned[0].rsplit(": ", 1)[1].split(" -> "))
    assert after >= before
    assert set(json.loads(output.read_text())["weights"]) >= {"complement", "reach", "sector"}


def test_a_dismissed_partner_stands_as_dismissed_by_the_staff(api):
    _, staff = issue_staff_token(api, "T-003")
    dismissed = suggested(api, "T-003")[0]
    response = api.post(
        "/institutions/T-003/feedback", json={"partner": dismissed, "verdict": "not_relevant"}, headers=staff
    )
    assert response.status_code == 201
    body = api.get(f"/institutions/T-003/suggestions/{dismissed}", headers=staff).json
    assert body["status"] == "excluded" and "oznaczone przez Was jako nietrafiona" in body["standing"]
    # Their own staff see the partner's contact person, as in the suggestions.
    assert "person" in body["institution"]["contact"]
