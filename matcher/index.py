"""PartnerIndex: FAISS over text-unit vectors, saved beside a manifest, swapped atomically."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from sqlalchemy.orm import Session

from embeddings import Encoder
from matcher.lexical import LexicalModel
from matcher.profiles import UNIT_KINDS, Profile
from matcher.registry import data_fingerprint, load_all
from matcher.spelling import Respeller
from matcher.terms import TermModel, vocabulary
from matcher.vector_store import EncodeStats, vectors_for

# Small searches (a few query units) are ~30x slower with OpenMP threads than without;
# a web worker answers one request per thread anyway.
faiss.omp_set_num_threads(int(os.environ.get("MATCHER_FAISS_THREADS", "1")))

# 2: lemma vectors for soft term matching (terms.json, terms.npy).
FORMAT_VERSION = 2
CURRENT = "CURRENT"
KEEP_GENERATIONS = 2


class IndexMissing(RuntimeError):
    """No index has been built yet."""


class IndexMismatch(RuntimeError):
    """The index on disk was built by another encoder than the one configured."""


@dataclass(frozen=True)
class Unit:
    """One embedded text: a profile, an offer or a need of an institution."""

    institution: str
    kind: str
    position: int
    text: str


@dataclass
class PartnerIndex:
    """Unit vectors in one FAISS inner-product index per unit kind, with the catalogue."""

    manifest: dict[str, Any]
    profiles: dict[str, Profile]
    units: list[Unit]
    vectors: np.ndarray
    path: Path | None = None
    _faiss: dict[str, faiss.Index] = field(default_factory=dict, repr=False)
    _rows: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _by_institution: dict[str, dict[str, list[int]]] = field(default_factory=dict, repr=False)
    lexical: LexicalModel | None = field(default=None, repr=False)
    lexical_rows: Any = field(default=None, repr=False)
    # The registry's lemmas and their vectors (soft term matching).
    term_vocab: list[str] = field(default_factory=list, repr=False)
    term_vectors: np.ndarray | None = field(default=None, repr=False)
    terms: TermModel | None = field(default=None, repr=False)
    # Puts Polish letters back into searches typed without them, from the registry's words.
    respeller: Respeller | None = field(default=None, repr=False)
    # Arrays other modules derive from the index once (e.g. the ranking layout).
    derived: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        kinds = np.array([u.kind for u in self.units])
        for kind in UNIT_KINDS:
            rows = np.flatnonzero(kinds == kind).astype(np.int64)
            self._faiss[kind] = _flat(self.vectors[rows], self.dim)
            self._rows[kind] = rows
        for row, unit in enumerate(self.units):
            self._by_institution.setdefault(unit.institution, {k: [] for k in UNIT_KINDS})
            self._by_institution[unit.institution][unit.kind].append(row)
        self.lexical = LexicalModel([u.text for u in self.units])
        self.lexical_rows = self.lexical.matrix
        self.respeller = Respeller(u.text for u in self.units)
        if self.term_vectors is not None:
            by_kind = {kind: [self.units[r].text for r in self._rows[kind]] for kind in UNIT_KINDS}
            self.terms = TermModel(self.term_vocab, self.term_vectors, by_kind)

    @property
    def dim(self) -> int:
        return int(self.manifest["dim"])

    @property
    def encoder_id(self) -> str:
        return str(self.manifest["encoder_id"])

    def rows_of(self, external_id: str, kind: str) -> list[int]:
        """Unit rows of one institution and kind."""
        return self._by_institution.get(external_id, {}).get(kind, [])

    def rows_of_kind(self, kind: str) -> np.ndarray:
        """All unit rows of a kind."""
        return self._rows[kind]

    def search(self, kind: str, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Nearest units of a kind for each query vector.

        Returns:
            (scores, rows): arrays of shape (len(queries), k'), rows index `units`;
            k' = min(k, units of that kind).
        """
        index = self._faiss[kind]
        k = min(k, index.ntotal)
        if k == 0 or len(queries) == 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        scores, local = index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return scores, self._rows[kind][local]

    def save(self, directory: Path) -> None:
        """Write the index files into an empty directory."""
        directory.mkdir(parents=True, exist_ok=False)
        faiss.write_index(_flat(self.vectors, self.dim), str(directory / "units.faiss"))
        _write_json(
            directory / "units.json", [[u.institution, u.kind, u.position, u.text] for u in self.units]
        )
        _write_json(directory / "catalog.json", [p.as_dict() for p in self.profiles.values()])
        _write_json(directory / "terms.json", self.term_vocab)
        np.save(directory / "terms.npy", _term_array(self.term_vectors, self.dim))
        _write_json(directory / "manifest.json", self.manifest)

    @classmethod
    def load(cls, directory: Path) -> PartnerIndex:
        """Read an index written by `save`."""
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexMissing(f"index format {manifest.get('format_version')} is not supported")
        flat = faiss.read_index(str(directory / "units.faiss"))
        vectors = (
            flat.reconstruct_n(0, flat.ntotal) if flat.ntotal else np.zeros((0, manifest["dim"]), np.float32)
        )
        units = [Unit(*row) for row in json.loads((directory / "units.json").read_text("utf-8"))]
        catalog = json.loads((directory / "catalog.json").read_text(encoding="utf-8"))
        profiles = {p["external_id"]: Profile.from_dict(p) for p in catalog}
        return cls(
            manifest,
            profiles,
            units,
            np.ascontiguousarray(vectors, np.float32),
            directory,
            term_vocab=json.loads((directory / "terms.json").read_text(encoding="utf-8")),
            term_vectors=np.load(directory / "terms.npy"),
        )


def _term_array(vectors: np.ndarray | None, dim: int) -> np.ndarray:
    return np.zeros((0, dim), np.float32) if vectors is None else np.asarray(vectors, np.float32)


def _flat(vectors: np.ndarray, dim: int) -> faiss.Index:
    """An exact inner-product index over unit vectors (cosine, as they are normalised)."""
    index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=None), encoding="utf-8")


def assemble(profiles: list[Profile], encoder: Encoder, vectors_of) -> tuple[list[Unit], np.ndarray]:
    """Lay out the units of all profiles and get their vectors from `vectors_of(texts)`."""
    units = [Unit(p.external_id, kind, pos, text) for p in profiles for kind, pos, text in p.unit_texts()]
    vectors = vectors_of([u.text for u in units]) if units else np.zeros((0, encoder.dim), np.float32)
    return units, vectors


def build_index(
    session: Session, encoder: Encoder, index_dir: Path, from_stored_only: bool = False
) -> PartnerIndex:
    """Build an index of every fiszka and switch to it atomically.

    The new generation is written beside the old one; only when it is complete does
    the CURRENT pointer move (an atomic rename), so a crash mid-build leaves the old
    index serving.

    Args:
        session: database session (new vectors are cached and committed).
        encoder: the encoder; its id becomes part of the index identity.
        index_dir: MATCHER_INDEX_DIR.
        from_stored_only: never encode; fail if a text has no stored vector.

    Returns:
        The new index, loaded.
    """
    started = time.perf_counter()
    fingerprint = data_fingerprint(session)
    profiles = [Profile.of(i) for i in load_all(session)]
    stats = EncodeStats()

    def vectors_of(texts: list[str], counts: EncodeStats = stats) -> np.ndarray:
        return vectors_for(session, encoder, texts, counts, encode_missing=not from_stored_only)

    units, vectors = assemble(profiles, encoder, vectors_of)
    term_vocab, term_stats = vocabulary([u.text for u in units]), EncodeStats()
    term_vectors = (
        vectors_of(term_vocab, term_stats) if term_vocab else np.zeros((0, encoder.dim), np.float32)
    )
    session.commit()
    generation = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:6]
    counts = {kind: sum(u.kind == kind for u in units) for kind in UNIT_KINDS}
    manifest = {
        "format_version": FORMAT_VERSION,
        "generation": generation,
        "encoder_id": encoder.id,
        "dim": encoder.dim,
        "institutions": len(profiles),
        "units": counts,
        "terms": {"lemmas": len(term_vocab), "encoded": term_stats.encoded},
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - started, 3),
        "data_fingerprint": fingerprint,
        "encoded": stats.encoded,
        "reused": stats.reused,
    }
    index = PartnerIndex(
        manifest,
        {p.external_id: p for p in profiles},
        units,
        vectors,
        term_vocab=term_vocab,
        term_vectors=term_vectors,
    )
    index_dir.mkdir(parents=True, exist_ok=True)
    staging = index_dir / f".building-{generation}"
    index.save(staging)
    target = index_dir / generation
    staging.rename(target)
    index.path = target
    _point_current(index_dir, generation)
    _prune(index_dir, keep=generation)
    return index


def _point_current(index_dir: Path, generation: str) -> None:
    tmp = index_dir / f".{CURRENT}.{uuid.uuid4().hex}"
    tmp.write_text(generation, encoding="utf-8")
    os.replace(tmp, index_dir / CURRENT)


def _prune(index_dir: Path, keep: str) -> None:
    """Remove old generations and abandoned builds, keeping a few recent ones."""
    generations = sorted(p for p in index_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in generations[:-KEEP_GENERATIONS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
    for abandoned in index_dir.glob(".building-*"):
        if time.time() - abandoned.stat().st_mtime > 3600:
            shutil.rmtree(abandoned, ignore_errors=True)


def current_generation(index_dir: Path) -> str | None:
    """The generation CURRENT points at, or None."""
    try:
        return (index_dir / CURRENT).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


class LiveIndex:
    """The index a process serves from; reloads when another process switched CURRENT."""

    def __init__(self, index_dir: Path, encoder_id: str) -> None:
        self.index_dir = index_dir
        self.encoder_id = encoder_id
        self._index: PartnerIndex | None = None
        self._lock = threading.Lock()

    def get(self) -> PartnerIndex:
        """Return the current index, loading it if CURRENT moved.

        Raises:
            IndexMissing: nothing has been built yet.
            IndexMismatch: the index was built by another encoder.
        """
        generation = current_generation(self.index_dir)
        index = self._index
        if index is not None and index.manifest["generation"] == generation:
            return index
        with self._lock:
            if self._index is None or self._index.manifest["generation"] != generation:
                if generation is None:
                    raise IndexMissing("no index has been built; run `matcher reindex`")
                loaded = PartnerIndex.load(self.index_dir / generation)
                if loaded.encoder_id != self.encoder_id:
                    raise IndexMismatch(
                        f"the index was built with {loaded.encoder_id}, the service uses "
                        f"{self.encoder_id}; rebuild it with `matcher reindex`"
                    )
                self._index = loaded
            return self._index

    def put(self, index: PartnerIndex) -> None:
        """Serve a freshly built index."""
        with self._lock:
            self._index = index


def index_status(session: Session, index: PartnerIndex) -> dict[str, Any]:
    """What index is loaded and whether the fiszki changed since it was built."""
    fingerprint = data_fingerprint(session)
    return {
        "loaded": index.manifest,
        "stale": fingerprint != index.manifest["data_fingerprint"],
        "data_fingerprint": fingerprint,
    }
