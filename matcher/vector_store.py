"""Vectors cached in the database by text hash and encoder id."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from embeddings import Encoder
from matcher.models import StoredVector

_CHUNK = 500


def text_hash(text: str) -> str:
    """Key of a text in the vector cache."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
            raise LookupError(f"{len(missing)} text(s) have no stored vector for {encoder.id}")
        first_text = {}
        for digest, text in zip(hashes, texts, strict=True):
            first_text.setdefault(digest, text)
        fresh = encoder.encode([first_text[h] for h in missing])
        for digest, vector in zip(missing, fresh, strict=True):
            found[digest] = vector
            session.add(
                StoredVector(
                    text_hash=digest,
                    encoder_id=encoder.id,
                    dim=encoder.dim,
                    vector=vector.astype(np.float32).tobytes(),
                )
            )
    stats.encoded += len(missing)
    stats.reused += len(set(hashes)) - len(missing)
    if not texts:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return np.vstack([found[h] for h in hashes]).astype(np.float32)
