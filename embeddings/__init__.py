"""Text -> normalised float32 vectors. Knows nothing of institutions."""

from __future__ import annotations

from embeddings.base import Encoder, EncoderError
from embeddings.registry import DEFAULT_ENCODER, load_encoder

__all__ = ["DEFAULT_ENCODER", "Encoder", "EncoderError", "load_encoder"]
