"""PartnerIndex: build, save/load, atomic switch, stored vectors, encoder identity."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings import load_encoder
from matcher import index as index_module
from matcher.db import make_engine, make_session_factory
from matcher.index import (
    IndexMismatch,
    IndexMissing,
    LiveIndex,
    PartnerIndex,
    build_index,
    current_generation,
)
from matcher.registry import import_records, parse_import
from tests.conftest import SMALL


@pytest.fixture
def session(tmp_path):
    sessions = make_session_factory(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"))
    with sessions() as session:
        import_records(session, parse_import(SMALL.read_bytes()))
        yield session


@pytest.fixture
def encoder():
    return load_encoder("hashing")


def test_build_saves_a_loadable_index_with_manifest(session, encoder, tmp_path):
    built = build_index(session, encoder, tmp_path / "ix")
    manifest = built.manifest
    assert manifest["encoder_id"] == encoder.id and manifest["dim"] == encoder.dim
    assert manifest["institutions"] == 10
    assert manifest["units"] == {"profile": 10, "offer": 15, "need": 11}
    loaded = PartnerIndex.load(tmp_path / "ix" / current_generation(tmp_path / "ix"))
    assert np.allclose(loaded.vectors, built.vectors)
    assert loaded.units == built.units
    scores, rows = loaded.search("offer", built.vectors[:1], 3)
    assert rows.shape == (1, 3) and all(loaded.units[r].kind == "offer" for r in rows[0])


def test_a_crash_mid_build_leaves_the_old_index_serving(session, encoder, tmp_path, monkeypatch):
    index_dir = tmp_path / "ix"
    first = build_index(session, encoder, index_dir)
    live = LiveIndex(index_dir, encoder.id)
    assert live.get().manifest["generation"] == first.manifest["generation"]

    def crash(self, directory):
        directory.mkdir(parents=True)
        (directory / "units.faiss").write_bytes(b"half written")
        raise OSError("disk full")

    monkeypatch.setattr(PartnerIndex, "save", crash)
    with pytest.raises(OSError):
        build_index(session, encoder, index_dir)
    assert current_generation(index_dir) == first.manifest["generation"]
    assert live.get().manifest["generation"] == first.manifest["generation"]


def test_a_second_build_switches_and_other_processes_follow(session, encoder, tmp_path):
    index_dir = tmp_path / "ix"
    build_index(session, encoder, index_dir)
    reader = LiveIndex(index_dir, encoder.id)
    old = reader.get().manifest["generation"]
    second = build_index(session, encoder, index_dir)
    assert second.manifest["generation"] != old
    assert reader.get().manifest["generation"] == second.manifest["generation"]
    assert second.manifest["encoded"] == 0 and second.manifest["reused"] == 36


def test_rebuild_from_stored_vectors_alone(session, encoder, tmp_path):
    build_index(session, encoder, tmp_path / "a")
    again = build_index(session, encoder, tmp_path / "b", from_stored_only=True)
    assert again.manifest["encoded"] == 0


def test_stored_only_rebuild_fails_for_unseen_texts(session, encoder, tmp_path):
    with pytest.raises(LookupError):
        build_index(session, encoder, tmp_path / "ix", from_stored_only=True)


def test_an_index_is_never_queried_with_another_encoder(session, encoder, tmp_path):
    build_index(session, encoder, tmp_path / "ix")
    other = load_encoder("hashing:128")
    with pytest.raises(IndexMismatch):
        LiveIndex(tmp_path / "ix", other.id).get()


def test_missing_index_is_reported(tmp_path):
    with pytest.raises(IndexMissing):
        LiveIndex(tmp_path / "nothing", "x").get()


def test_old_generations_are_pruned(session, encoder, tmp_path):
    for _ in range(4):
        build_index(session, encoder, tmp_path / "ix")
    generations = [p for p in (tmp_path / "ix").iterdir() if p.is_dir()]
    assert len(generations) == index_module.KEEP_GENERATIONS


def test_lemma_vectors_are_saved_and_loaded_with_the_index(session, encoder, tmp_path):
    built = build_index(session, encoder, tmp_path / "ix")
    assert built.manifest["terms"]["lemmas"] == len(built.term_vocab) > 20
    loaded = PartnerIndex.load(tmp_path / "ix" / current_generation(tmp_path / "ix"))
    assert loaded.term_vocab == built.term_vocab and np.allclose(loaded.term_vectors, built.term_vectors)
    need = built.units[built.rows_of_kind("need")[0]].text
    assert np.allclose(
        loaded.terms.coverage([need], "offer", 0.85), built.terms.coverage([need], "offer", 0.85)
    )
    # A second build encodes no lemma again.
    assert build_index(session, encoder, tmp_path / "ix").manifest["terms"]["encoded"] == 0
