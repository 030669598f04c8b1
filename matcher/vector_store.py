"""Vectors cached in the database by text hash and encoder id."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from embeddings import Encoder
from matcher.models import StoredVector, utcnow

_CHUNK = 500


def text_hash(text: str) -> str:
    """Key of a text in the vector cache."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class VectorsMissing(LookupError):
    """Texts have no stored vector and may not be encoded (a rebuild from stored vectors only)."""


@dataclass
class EncodeStats:
    encoded: int = 0
    reused: int = 0


def stored_vectors(session: Session, encoder_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
    """Fetch the cached vectors of these text hashes under one encoder."""
    found: dict[str, np.ndarray] = {}
    unique = list(dict.fromkeys(hashes))
    for start in range(0, len(unique), _CHUNK):
        rows = session.execute(
            select(StoredVector.text_hash, StoredVector.vector).where(
                StoredVector.encoder_id == encoder_id,
                StoredVector.text_hash.in_(unique[start : start + _CHUNK]),
            )
        )
        for digest, blob in rows:
            found[digest] = np.frombuffer(blob, dtype=np.float32)
    return found


def _store(session: Session, encoder: Encoder, vectors: dict[str, np.ndarray]) -> None:
    """Add new vectors to the cache; a vector another request stored meanwhile is kept as it is.

    Two requests for the same new card encode its texts at the same time; the second insert
    of a (text, encoder) pair is skipped instead of failing the request.
    """
    rows = [
        {
            "text_hash": digest,
            "encoder_id": encoder.id,
            "dim": encoder.dim,
            "vector": vector.astype(np.float32).tobytes(),
            "created_at": utcnow(),
        }
        for digest, vector in vectors.items()
    ]
    dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(session.get_bind().dialect.name)
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        if dialect is None:  # another database: a plain insert, a clash fails as before
            session.execute(insert(StoredVector), chunk)
        else:
            statement = dialect.insert(StoredVector).on_conflict_do_nothing(
                index_elements=["text_hash", "encoder_id"]
            )
            session.execute(statement, chunk)


def vectors_for(
    session: Session,
    encoder: Encoder,
    texts: Sequence[str],
    stats: EncodeStats | None = None,
    encode_missing: bool = True,
) -> np.ndarray:
    """Return one vector per text, encoding and storing only texts not cached yet.

    Args:
        session: where the cache lives; new vectors are added but not committed.
        encoder: the encoder; its id keys the cache.
        texts: the texts.
        stats: counts of encoded and reused texts are added here.
        encode_missing: when False, a text missing from the cache is an error
            (rebuilding an index from stored vectors alone).

    Returns:
        A (len(texts), encoder.dim) float32 matrix.
    """
    stats = stats if stats is not None else EncodeStats()
    hashes = [text_hash(t) for t in texts]
    found = stored_vectors(session, encoder.id, hashes)
    missing = [h for h in dict.fromkeys(hashes) if h not in found]
    if missing:
        if not encode_missing:
            raise VectorsMissing(f"{len(missing)} text(s) have no stored vector for {encoder.id}")
        first_text = {}
        for digest, text in zip(hashes, texts, strict=True):
            first_text.setdefault(digest, text)
        fresh = dict(zip(missing, encoder.encode([first_text[h] for h in missing]), strict=True))
        found.update(fresh)
        _store(session, encoder, fresh)
    stats.encoded += len(missing)
    stats.reused += len(set(hashes)) - len(missing)
    if not texts:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return np.vstack([found[h] for h in hashes]).astype(np.float32)
