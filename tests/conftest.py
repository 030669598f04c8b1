"""Shared fixtures: an app on a temporary SQLite database and index, small real fiszki."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service import create_app

DATA = Path(__file__).parent / "data"
SMALL = DATA / "fiszki_small.jsonl"


def small_cards() -> list[dict]:
    """The ten test fiszki as dicts (a fresh copy each call)."""
    return [json.loads(line) for line in SMALL.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def app(tmp_path):
    """An app with an empty database, the fast hashing encoder and no admin token."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}",
            "INDEX_DIR": str(tmp_path / "index"),
            "ENCODER": "hashing",
            "SEED_DIR": str(DATA),
            "ADMIN_TOKEN": None,
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def seeded(app, client):
    """The app with the small fiszki imported and indexed."""
    response = client.post("/institutions:import", data=SMALL.read_bytes())
    assert response.status_code == 200, response.json
    assert client.post("/admin/reindex").status_code == 200
    return app
