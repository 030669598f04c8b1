"""Reindex over HTTP and the CLI, index status and staleness."""

from __future__ import annotations

import json

from tests.conftest import SMALL, small_cards


def test_index_status_reports_stale_after_a_change(seeded, client):
    status = client.get("/admin/index").json
    assert status["stale"] is False
    assert status["loaded"]["institutions"] == 10
    card = small_cards()[3]
    card["needs"].append("Prowadzący warsztaty genealogiczne")
    client.put("/institutions/T-004", json=card)
    assert client.get("/admin/index").json["stale"] is True
    client.post("/admin/reindex")
    assert client.get("/admin/index").json["stale"] is False


def test_reindex_reencodes_only_changed_texts(seeded, client):
    card = small_cards()[3]
    card["offers"].append("Wypożyczenie gier planszowych na ferie")
    client.put("/institutions/T-004", json=card)
    manifest = client.post("/admin/reindex").json
    assert manifest["encoded"] == 1  # only the new offer; everything else comes from the cache
    assert manifest["reused"] > 30


def test_status_without_index(client):
    assert client.get("/admin/index").json["loaded"] is None


def test_cli_import_reindex_and_status(runner, tmp_path):
    result = runner.invoke(args=["import", str(SMALL)])
    assert result.exit_code == 0, result.output
    assert "10 created" in result.output
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert "10 institutions" in result.output
    result = runner.invoke(args=["status"])
    assert '"stale": false' in result.output


def test_cli_import_of_a_bad_file_writes_nothing_and_fails(runner, client, tmp_path):
    bad = tmp_path / "bad.jsonl"
    lines = SMALL.read_text(encoding="utf-8").splitlines()
    bad.write_text("\n".join(lines[:3] + ['{"external_id": "X"}']), encoding="utf-8")
    result = runner.invoke(args=["import", str(bad)])
    assert result.exit_code == 1
    assert "record 3" in result.output and "name" in result.output
    assert client.get("/institutions").json["total"] == 0


def test_bootstrap_seeds_an_empty_database_and_builds_the_index(runner, client):
    result = runner.invoke(args=["bootstrap"])
    assert result.exit_code == 0, result.output
    assert client.get("/institutions").json["total"] == 10
    assert client.get("/admin/index").json["stale"] is False
    again = runner.invoke(args=["bootstrap"])
    assert "is current" in again.output


def test_benchmark_command_reports_build_time_and_latency(runner):
    result = runner.invoke(args=["benchmark", "--requests", "6"])
    assert result.exit_code == 0, result.output
    assert "cold build: 10 institutions" in result.output
    assert "/match all" in result.output and "p95" in result.output


def _refreshed(app, client) -> dict:
    assert app.extensions["matcher"].refresher.wait(timeout=60), "the background refresh did not finish"
    return client.get("/admin/index").json


def test_writes_refresh_the_index_in_the_background(seeded, app, client):
    app.config["AUTO_REINDEX"] = True
    robotics = {**small_cards()[5], "external_id": "T-100", "name": "Fundacja Młodych Konstruktorów"}
    assert client.post("/institutions", json=robotics).status_code == 201
    status = _refreshed(app, client)
    assert status["stale"] is False and status["loaded"]["institutions"] == 11
    assert status["refresh"]["auto"] is True and status["refresh"]["last_error"] is None
    assert status["loaded"]["encoded"] == 1  # only the new name and description; the units are cached
    suggested = client.post("/match", json={"institution": "T-008", "k": 20}).json["results"]
    assert "T-100" in [r["institution"]["external_id"] for r in suggested]

    assert client.delete("/institutions/T-100").status_code == 204
    status = _refreshed(app, client)
    assert status["stale"] is False and status["loaded"]["institutions"] == 10


def test_an_unchanged_import_does_not_rebuild(seeded, app, client):
    app.config["AUTO_REINDEX"] = True
    generation = client.get("/admin/index").json["loaded"]["generation"]
    builds = app.extensions["matcher"].refresher.builds
    assert client.post("/institutions:import", data=SMALL.read_bytes()).json["unchanged"] == 10
    status = _refreshed(app, client)
    assert status["loaded"]["generation"] == generation
    assert app.extensions["matcher"].refresher.builds == builds


def test_writes_close_together_end_in_a_current_index(seeded, app, client):
    app.config["AUTO_REINDEX"] = True
    for i, card in enumerate(small_cards()[:6]):
        card["offers"].append(f"Nowa oferta numer {i}: wypożyczenie sprzętu nagłośnieniowego")
        assert client.put(f"/institutions/{card['external_id']}", json=card).status_code == 200
    status = _refreshed(app, client)
    assert status["stale"] is False
    assert status["refresh"]["builds"] <= 1 + 6  # the explicit build of `seeded`, then at most one a write


def test_a_failed_background_build_is_reported_and_the_old_index_serves(seeded, app, client, monkeypatch):
    app.config["AUTO_REINDEX"] = True
    generation = client.get("/admin/index").json["loaded"]["generation"]

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("service.refresh.build_index", broken)
    card = small_cards()[3]
    card["needs"].append("Prowadzący warsztaty genealogiczne")
    assert client.put("/institutions/T-004", json=card).status_code == 200
    status = _refreshed(app, client)
    assert status["stale"] is True and status["loaded"]["generation"] == generation
    assert status["refresh"]["last_error"] == "RuntimeError: disk full"
    assert client.post("/match", json={"institution": "T-004"}).status_code == 200


def test_requests_from_many_threads_end_in_one_current_index(seeded, app, client):
    import threading

    refresher = app.extensions["matcher"].refresher
    card = small_cards()[4]
    card["offers"].append("Konsultacje z matematyki dla maturzystów z innych szkół")
    client.put("/institutions/T-005", json=card)  # stale now; AUTO_REINDEX is off in this app
    builds = refresher.builds
    threads = [threading.Thread(target=refresher.request) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    status = _refreshed(app, client)
    assert status["stale"] is False and status["refresh"]["pending"] is False
    assert 1 <= refresher.builds - builds <= 2  # the 20 requests folded into one or two builds
    refresher.request()  # and a request after the worker quit starts a new one
    assert refresher.wait(timeout=60) and refresher.builds - builds <= 2  # current: nothing to build


def test_cli_import_prints_a_warning_for_a_likely_duplicate(runner, tmp_path):
    assert runner.invoke(args=["import", str(SMALL)]).exit_code == 0
    twin = {**small_cards()[0], "external_id": "W-1", "name": "Technikum gastronomiczne w Wieliczce"}
    path = tmp_path / "twin.jsonl"
    path.write_text(json.dumps(twin, ensure_ascii=False) + "\n", encoding="utf-8")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "record 0 (line 1): warning: name: Same name as T-001, in the same gmina" in result.output
    assert "1 created, 0 updated, 0 unchanged, 0 rejected, 1 warning(s)" in result.output
