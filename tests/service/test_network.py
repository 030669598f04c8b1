"""`matcher network`: every institution's suggestions for a coordinator, and the region in numbers."""

from __future__ import annotations

import csv
import json

from tests.conftest import ADMIN


def _summary(output: str) -> dict:
    return json.loads(output[: output.rindex("}") + 1])


def test_network_lists_every_institutions_suggestions_without_contact_data(secured_app, tmp_path):
    out = tmp_path / "pairs.csv"
    result = secured_app.test_cli_runner().invoke(args=["network", "--k", "3", "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    by_asker: dict[str, list[dict]] = {}
    for row in rows:
        by_asker.setdefault(row["institution"], []).append(row)
    assert set(by_asker) == {f"T-{i:03d}" for i in range(1, 11)}
    for asker, listed in by_asker.items():
        assert [int(r["rank"]) for r in listed] == list(range(1, len(listed) + 1)) and len(listed) <= 3
        assert asker not in {r["partner"] for r in listed}
        assert all(r["explanation"] for r in listed)
    assert ("T-009", "T-010") not in {(r["institution"], r["partner"]) for r in rows}  # existing partners
    personal = ("@szkola.example.pl", "Kowalska", "+48 600")
    assert not any(p in value for row in rows for value in row.values() for p in personal)
    summary = _summary(result.output)
    assert summary["institutions"] == 10 and summary["suggestions"] == len(rows)
    assert summary["existing_partnerships"] == 1 and summary["existing_cross_sector_share"] == 1.0
    crossing = sum(r["institution_sector"] != r["partner_sector"] for r in rows) / len(rows)
    assert summary["suggested_cross_sector_share"] == round(crossing, 3)
    # Exposure: each sector's share of the suggestions against its share of the registry.
    suggested = {r["partner"] for r in rows}
    assert summary["institutions_never_suggested"] == 10 - len(suggested)
    assert 0 <= summary["exposure_gini"] < 1
    sectors = summary["exposure_by_sector"]
    assert sum(s["institutions"] for s in sectors) == 10
    for sector in sectors:
        share = sum(r["partner_sector"] == sector["sector"] for r in rows) / len(rows)
        assert sector["suggestion_share"] == round(share, 3)
        assert sector["exposure_ratio"] == round(share / (sector["institutions"] / 10), 2)
    ratios = [s["exposure_ratio"] for s in sectors]
    assert ratios == sorted(ratios)  # the least shown first


def test_network_of_one_powiat_respects_dismissals_and_writes_jsonl(secured_app, api, tmp_path):
    first = api.get("/institutions/T-004/suggestions?k=1").json["results"][0]["institution"]["external_id"]
    body = {"partner": first, "verdict": "not_relevant"}
    assert api.post("/institutions/T-004/feedback", json=body, headers=ADMIN).status_code == 201
    out = tmp_path / "pairs.jsonl"
    runner = secured_app.test_cli_runner()
    result = runner.invoke(args=["network", "--powiat", "1219", "--lang", "en", "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["powiat_teryt"] for r in rows} == {"1219"}
    assert (("T-004", first)) not in {(r["institution"], r["partner"]) for r in rows}
    assert all(r["institution_sector"].isascii() for r in rows)  # English sector labels
    nowhere = runner.invoke(args=["network", "--powiat", "1299", "--output", str(out)])
    assert nowhere.exit_code != 0 and "no indexed institutions" in nowhere.output
