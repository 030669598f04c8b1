"""Per-app resources: the database, the encoder and the live index; a session per request."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from embeddings import Encoder, load_encoder
from matcher.config import DEFAULT_CONFIG, RankingConfig
from matcher.db import make_engine, make_session_factory
from matcher.index import LiveIndex
from service.refresh import Refresher


@dataclass
class Resources:
    """What one app holds for its lifetime."""

    engine: Engine
    sessions: sessionmaker
    encoder_spec: str
    index_dir: Path
    ranking: RankingConfig
    refresher: Refresher = field(init=False)
    _encoder: Encoder | None = None
    _live: LiveIndex | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.refresher = Refresher(self)

    @property
    def encoder(self) -> Encoder:
        """The configured encoder, loaded on first use."""
        with self._lock:
            if self._encoder is None:
                self._encoder = load_encoder(self.encoder_spec)
            return self._encoder

    @property
    def live(self) -> LiveIndex:
        """The live index of the configured encoder."""
        encoder = self.encoder
        with self._lock:
            if self._live is None:
                self._live = LiveIndex(self.index_dir, encoder.id)
            return self._live


def init_app(app: Flask) -> None:
    """Create the engine and tables; close the request's session after each request."""
    engine = make_engine(app.config["DATABASE_URL"])
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        Path(app.config["DATABASE_URL"].removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    app.extensions["matcher"] = Resources(
        engine=engine,
        sessions=make_session_factory(engine),
        encoder_spec=app.config["ENCODER"],
        index_dir=Path(app.config["INDEX_DIR"]),
        ranking=_ranking_config(app.config.get("RANKING_CONFIG")),
    )

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def _ranking_config(path: str | None) -> RankingConfig:
    """The default ranking, or the overrides in MATCHER_RANKING_CONFIG (fails at start, not later)."""
    if not path:
        return DEFAULT_CONFIG
    try:
        return RankingConfig.load(path)
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"MATCHER_RANKING_CONFIG={path}: {exc}") from exc


def resources() -> Resources:
    """The current app's resources."""
    return current_app.extensions["matcher"]


def db_session() -> Session:
    """The session of the current request (or CLI command)."""
    if "db_session" not in g:
        g.db_session = resources().sessions()
    return g.db_session
