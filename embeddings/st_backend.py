"""Any sentence-transformers model, by local path or (where a hub is reachable) by name."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from embeddings.base import Encoder, EncoderError


class SentenceTransformerEncoder(Encoder):
    """A sentence-transformers model, loaded lazily on first use.

    Offline by default: `local_files_only` stops any attempt to reach a model hub, so
    a missing model fails at once with a clear error instead of hanging.
    """

    def __init__(
        self,
        name_or_path: str,
        prefix: str = "",
        local_files_only: bool = True,
        device: str = "cpu",
    ) -> None:
        self.name_or_path = name_or_path
        self.prefix = prefix
        self.local_files_only = local_files_only
        self.device = device
        self._model = None
        self._lock = threading.Lock()
        label = Path(name_or_path).name if os.path.sep in name_or_path else name_or_path
        self.id = f"st/{label}/{prefix.strip() or 'noprefix'}"
        model = self._load()
        # Renamed in sentence-transformers 6; older releases only have the long name.
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(dimension())

    def _load(self):
        """Load the model once; later calls return it."""
        with self._lock:
            if self._model is None:
                if self.local_files_only:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise EncoderError("sentence-transformers is not installed: pip install '.[st]'") from exc
                try:
                    self._model = SentenceTransformer(
                        self.name_or_path,
                        device=self.device,
                        local_files_only=self.local_files_only,
                    )
                except Exception as exc:  # the library raises many kinds for a missing model
                    raise EncoderError(
                        f"cannot load sentence-transformers model {self.name_or_path!r}: {exc}"
                    ) from exc
            return self._model

    def _embed(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        return model.encode(
            [self.prefix + t for t in texts],
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
