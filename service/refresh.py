"""Keep the index current: rebuild it in the background after fiszki change over the API.

Staff and admins expect a changed card to count at once: a new institution should be
suggested to others, a corrected offer matched as corrected. Each write asks for a
refresh; one background thread per process rebuilds the index from the database (vectors
of unchanged texts come from the cache, so only new texts are encoded: about a second on
the seed registry) and serves it. Writes that arrive during a build are folded into one
more build. Builds never overlap within a process (an explicit `POST /admin/reindex` waits
for a running one); a process that finds it built from data already changed by another
process builds again, so the index CURRENT points at ends up matching the database.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher.index import IndexMismatch, IndexMissing, PartnerIndex, build_index
from matcher.registry import data_fingerprint

LOG = logging.getLogger("matcher.refresh")


class Refresher:
    """One process's index builds: on request in the background, or now for an admin."""

    def __init__(self, resources: Any) -> None:
        # `resources` is the app's `service.state.Resources` (sessions, encoder, live index).
        self._res = resources
        self._build_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._wanted = False
        self._worker: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()
        self.builds = 0
        self.last_error: str | None = None
        self.last_built_at: float | None = None
        self.last_seconds: float | None = None

    def build_now(self, session: Session, from_stored_only: bool = False) -> PartnerIndex:
        """Build and serve an index now (after any build under way)."""
        with self._build_lock:
            started = time.perf_counter()
            index = build_index(session, self._res.encoder, self._res.index_dir, from_stored_only)
            self._res.live.put(index)
            self.builds += 1
            self.last_built_at, self.last_seconds = time.time(), time.perf_counter() - started
            return index

    def request(self) -> None:
        """Ask for a rebuild soon; returns at once."""
        with self._state_lock:
            self._wanted = True
            self._idle.clear()
            # The worker clears `_worker` under this lock as it quits, so a request never
            # counts on a worker that has already decided to stop.
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="index-refresh", daemon=True)
                self._worker.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no refresh is wanted or running; False on timeout."""
        return self._idle.wait(timeout)

    @property
    def pending(self) -> bool:
        return not self._idle.is_set()

    def status(self) -> dict[str, Any]:
        return {
            "pending": self.pending,
            "builds": self.builds,
            "last_built_at": (
                time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.last_built_at))
                if self.last_built_at
                else None
            ),
            "last_seconds": round(self.last_seconds, 3) if self.last_seconds is not None else None,
            "last_error": self.last_error,
        }

    def _run(self) -> None:
        try:
            while True:
                with self._state_lock:
                    if not self._wanted:
                        self._worker = None
                        self._idle.set()
                        return
                    self._wanted = False
                self._refresh_once(retries=1)
        except BaseException:
            # Only a dying interpreter gets here (failed builds are caught); the next request starts afresh.
            with self._state_lock:
                self._worker = None
                self._idle.set()
            raise

    def _refresh_once(self, retries: int) -> None:
        session = self._res.sessions()
        try:
            if self._is_current(session):
                return
            index = self.build_now(session)
            self.last_error = None
            # Another process may have changed fiszki while this one read them.
            if data_fingerprint(session) != index.manifest["data_fingerprint"]:
                self.request_again()
        except IntegrityError as exc:
            # Another process cached the same new vector first; the next try reads it.
            session.rollback()
            if retries:
                self._refresh_once(retries - 1)
            else:
                self._failed(exc)
        except Exception as exc:  # noqa: BLE001 - a failed build must not kill the worker
            session.rollback()
            self._failed(exc)
        finally:
            session.close()

    def request_again(self) -> None:
        with self._state_lock:
            self._wanted = True

    def _is_current(self, session: Session) -> bool:
        try:
            loaded = self._res.live.get()
        except (IndexMissing, IndexMismatch):
            return False
        return loaded.manifest["data_fingerprint"] == data_fingerprint(session)

    def _failed(self, exc: Exception) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"
        LOG.error("index refresh failed: %s", self.last_error)


def refreshing(view: Callable) -> Callable:
    """Decorate a write view: after it succeeds, ask for an index refresh (if enabled)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        answer = view(*args, **kwargs)
        if current_app.config.get("AUTO_REINDEX"):
            current_app.extensions["matcher"].refresher.request()
        return answer

    return wrapper
