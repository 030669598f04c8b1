"""A tiny deterministic encoder: hashed character n-grams. For tests and smoke runs only."""

from __future__ import annotations

import hashlib

import numpy as np

from embeddings.base import Encoder


class HashingEncoder(Encoder):
    """Bag of hashed character 3-grams; instant, dependency-free, not semantic."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.id = f"hashing/char3/{dim}"

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            padded = f"  {text.lower()}  "
            for i in range(len(padded) - 2):
                digest = hashlib.blake2b(padded[i : i + 3].encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        return out
