"""The encoder interface shared by every backend."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np


class EncoderError(RuntimeError):
    """An encoder cannot be loaded or used."""


class Encoder(ABC):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension.

    `id` names the model and the way it is applied (prefixes included): two encoders
    with the same id give the same vectors, so vectors and indexes are keyed by it.
    """

    id: str
    dim: int

    @abstractmethod
    def _embed(self, texts: list[str]) -> np.ndarray:
        """Return raw vectors, one row per text."""

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Encode texts into a (len(texts), dim) float32 matrix of unit vectors.

        Args:
            texts: the texts; empty input gives an empty matrix.
            batch_size: how many texts go to the backend at once.

        Returns:
            A C-contiguous float32 array whose rows have L2 norm 1 (or 0 for a zero row).
        """
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self._embed(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
        vectors = np.ascontiguousarray(np.vstack(parts), dtype=np.float32)
        return normalise(vectors)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, dim={self.dim})"


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Scale rows to unit length, leaving all-zero rows at zero."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)
