"""Shared fixtures: an app on a fresh SQLite or PostgreSQL database, small real fiszki."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from service import create_app

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
SMALL = DATA / "fiszki_small.jsonl"


def small_cards() -> list[dict]:
    """The ten test fiszki as dicts (a fresh copy each call)."""
    return [json.loads(line) for line in SMALL.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server started by the project's own script (installed if missing)."""
    script = ROOT / "scripts" / "postgres.sh"
    try:
        result = subprocess.run(
            ["bash", str(script), "start"], capture_output=True, text=True, timeout=600, check=True
        )
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"no PostgreSQL server could be started: {exc}")
    yield result.stdout.strip().splitlines()[-1]
    subprocess.run(["bash", str(script), "stop"], capture_output=True, timeout=120)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"matcher_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield server.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    """An app with an empty database, the fast hashing encoder and no admin token.

    The index is rebuilt only when a test asks (tests of the background refresh turn it on).
    """
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INDEX_DIR": str(tmp_path / "index"),
            "ENCODER": "hashing",
            "SEED_DIR": str(DATA),
            "ADMIN_TOKEN": None,
            "AUTO_REINDEX": False,
        }
    )
    yield app
    app.extensions["matcher"].engine.dispose()


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


ADMIN_TOKEN = "s3cret"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def bearer(token: str | None) -> dict[str, str]:
    """The Authorization header of a token (none for None)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture
def secured_app(database_url, tmp_path):
    """An app with an admin token and two contact-reader tokens; the small fiszki imported and indexed."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "INDEX_DIR": str(tmp_path / "index"),
            "ENCODER": "hashing",
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "CONTACT_TOKENS": ("portal-1", "portal-2"),
            "AUTO_REINDEX": False,
        }
    )
    client = app.test_client()
    assert client.post("/institutions:import", data=SMALL.read_bytes(), headers=ADMIN).status_code == 200
    assert client.post("/admin/reindex", headers=ADMIN).status_code == 200
    return app


@pytest.fixture
def api(secured_app):
    return secured_app.test_client()


def issue_staff_token(api, external_id: str, label: str = "sekretariat") -> tuple[int, dict[str, str]]:
    """Issue a staff token over the API; its id and Authorization header."""
    response = api.post(f"/admin/institutions/{external_id}/tokens", json={"label": label}, headers=ADMIN)
    assert response.status_code == 201, response.json
    assert response.json["token"].startswith("mps_") and response.json["institution"] == external_id
    return response.json["id"], bearer(response.json["token"])
