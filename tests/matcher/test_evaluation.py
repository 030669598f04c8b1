"""The evaluation harness: metric arithmetic and a run of `matcher evaluate` on a small slice."""

from __future__ import annotations

import json
import math

import pytest

from matcher.evaluation import (
    LabelledQuery,
    asked_as,
    bootstrap_ci,
    load_labelled,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    reciprocal_rank,
    typed_plain,
    typed_with_typos,
    with_powiat_in_words,
)
from tests.conftest import DATA


def test_ndcg_matches_a_hand_computed_toy_ranking():
    relevance = {"b": 2, "c": 1, "z": 1}
    # DCG  = 0 + (2^2-1)/log2(3) + (2^1-1)/log2(4)
    # IDCG = 3/log2(2) + 1/log2(3) + 1/log2(4)
    expected = (3 / math.log2(3) + 1 / 2) / (3 + 1 / math.log2(3) + 1 / 2)
    assert ndcg_at_k(["a", "b", "c"], relevance) == pytest.approx(expected)
    assert ndcg_at_k(["b", "c", "z"], relevance) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], relevance) == 0.0


def test_recall_mrr_and_precision_on_a_toy_ranking():
    relevance = {"b": 2, "c": 1, "z": 1}
    ranked = ["a", "b", "x", "c", "y"]
    assert recall_at_k(ranked, relevance) == pytest.approx(2 / 3)
    assert reciprocal_rank(ranked, relevance) == pytest.approx(1 / 2)
    assert precision_at_k(ranked, relevance, k=5) == pytest.approx(2 / 5)
    assert reciprocal_rank(["a"], relevance) == 0.0


def test_bootstrap_interval_brackets_the_mean_and_narrows_with_more_queries():
    few = [0.2, 0.9, 0.5, 0.7]
    low, high = bootstrap_ci(few)
    assert low < sum(few) / len(few) < high
    many_low, many_high = bootstrap_ci(few * 25)
    assert many_high - many_low < high - low
    assert bootstrap_ci([0.6] * 10) == pytest.approx((0.6, 0.6))


def test_pooled_judgments_count_only_when_asked_for(tmp_path):
    path = tmp_path / "q.json"
    row = {
        "id": "x-i01",
        "split": "test",
        "institution": "A",
        "relevance": {"b": 2},
        "pooled": {"c": 1, "b": 1},
        "judged_zero": ["d"],
    }
    path.write_text(json.dumps([row]), encoding="utf-8")
    (everything,) = load_labelled(path)
    (original,) = load_labelled(path, "original")
    # A pooled grade only adds to the authors' labels, never overrides one.
    assert everything.relevance == {"b": 2, "c": 1}
    assert everything.judged == {"b", "c", "d"}
    assert original.relevance == {"b": 2}
    assert original.judged == {"b"}
    with pytest.raises(ValueError):
        load_labelled(path, "mine")


def run_labelled(runner, tmp_path, command: str, queries, output, *extra: str):
    """Run a labelled-set command on the small fiszki in its own database and index."""
    return runner.invoke(
        args=[
            command,
            "--queries",
            str(queries),
            "--seed-dir",
            str(DATA),
            "--database",
            f"sqlite:///{tmp_path / 'labelled.db'}",
            "--index-dir",
            str(tmp_path / "ix"),
            "--output",
            str(output),
            *extra,
        ]
    )


def test_evaluate_command_prints_and_writes_all_systems(runner, tmp_path):
    output = tmp_path / "report.json"
    result = run_labelled(runner, tmp_path, "evaluate", DATA / "labelled_small.json", output)
    assert result.exit_code == 0, result.output
    assert "baseline: tf-idf" in result.output and "- reciprocal" in result.output
    report = json.loads(output.read_text(encoding="utf-8"))
    assert set(report) >= {"dev", "test", "all", "embedding_dev"}
    assert report["all"]["systems"]["system"]["queries"] == 3
    assert report["labels"] == "all" and "labels: all" in result.output
    for metrics in report["all"]["systems"].values():
        assert 0.0 <= metrics["ndcg@10"] <= 1.0
        assert 0.0 <= metrics["judged@10"] <= 1.0
    assert report["embedding_dev"][next(iter(report["embedding_dev"]))]["pl recall@5"] > 0
    # Each query kind is reported on its own, and together they make up the overall mean.
    system = report["all"]["systems"]["system"]
    assert (system["queries_institution"], system["queries_search"]) == (2, 1)
    overall = (2 * system["ndcg@10_institution"] + system["ndcg@10_search"]) / 3
    assert system["ndcg@10"] == pytest.approx(overall)
    assert report["dev"]["systems"]["system"]["ndcg@10_search"] is None
    assert "system nDCG@10 by query kind: partners for an institution" in result.output


def test_searches_can_be_evaluated_typed_without_polish_letters(runner, tmp_path):
    queries = [
        {"id": "q", "split": "dev", "query": "nauka pływania dla dzieci", "relevance": {"T-009": 2}},
        {"id": "i", "split": "dev", "institution": "T-001", "relevance": {"T-002": 2}},
    ]
    path = tmp_path / "q.json"
    path.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    (search, institution) = typed_plain(load_labelled(path))
    assert search.query == "nauka plywania dla dzieci" and institution.institution == "T-001"
    output = tmp_path / "report.json"
    result = run_labelled(runner, tmp_path, "evaluate", path, output, "--plain-searches", "--no-ablations")
    assert result.exit_code == 0, result.output
    assert json.loads(output.read_text(encoding="utf-8"))["searches"] == "as written, without Polish letters"
    assert "free-text searches: as written, without Polish letters" in result.output


def test_searches_can_be_evaluated_in_other_words(runner, tmp_path):
    queries = [{"id": "q", "split": "dev", "query": "nauka pływania dla dzieci", "relevance": {"T-009": 2}}]
    path, english = tmp_path / "q.json", tmp_path / "en.json"
    path.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    english.write_text(json.dumps({"q": "swimming lessons for children"}), encoding="utf-8")
    (asked,) = asked_as(load_labelled(path), {"q": "swimming lessons for children"})
    assert asked.query == "swimming lessons for children" and asked.relevance == {"T-009": 2}
    with pytest.raises(ValueError):
        asked_as(load_labelled(path), {})
    output = tmp_path / "report.json"
    extra = ("--search-texts", str(english), "--no-ablations")
    result = run_labelled(runner, tmp_path, "evaluate", path, output, *extra)
    assert result.exit_code == 0, result.output
    assert json.loads(output.read_text(encoding="utf-8"))["searches"] == "in the words of en.json"


def test_searches_can_be_evaluated_with_the_powiat_in_their_words(runner, tmp_path):
    queries = [
        {"id": "q", "split": "dev", "query": "nauka pływania?", "filters": {"powiat_teryt": "1263"}},
        {"id": "r", "split": "dev", "query": "sala", "filters": {"powiat_teryt": "1219", "scope": ["gmina"]}},
        {"id": "i", "split": "dev", "institution": "T-001", "filters": {"powiat_teryt": "1219"}},
    ]
    for q in queries:
        q["relevance"] = {"T-009": 2}
    path = tmp_path / "q.json"
    path.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    city, land, institution = with_powiat_in_words(load_labelled(path))
    assert (city.query, city.filters) == ("nauka pływania w Tarnowie", {})
    assert (land.query, land.filters) == ("sala w powiecie wielickim", {"scope": ["gmina"]})
    assert institution.filters == {"powiat_teryt": "1219"}  # an institution query keeps its filter
    assert land.relevance == {"T-009": 2}
    output = tmp_path / "report.json"
    result = run_labelled(runner, tmp_path, "evaluate", path, output, "--places-in-words", "--no-ablations")
    assert result.exit_code == 0, result.output
    assert "the powiat filter in words" in json.loads(output.read_text(encoding="utf-8"))["searches"]


def test_evaluate_refuses_labels_for_unknown_institutions(runner, tmp_path):
    queries = tmp_path / "q.json"
    queries.write_text(json.dumps([{"id": "x", "institution": "NOPE", "relevance": {"T-001": 2}}]))
    result = run_labelled(runner, tmp_path, "evaluate", queries, tmp_path / "r.json")
    assert result.exit_code != 0


def test_tune_learns_weights_that_the_service_can_load(runner, tmp_path):
    from matcher.config import RankingConfig

    output = tmp_path / "ranking.json"
    result = run_labelled(runner, tmp_path, "tune", DATA / "labelled_small.json", output, "--rounds", "1")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("nDCG@10 on dev"))
    before, after = (float(x) for x in line.split(":")[1].split("->"))
    assert after >= before
    learned = RankingConfig.load(output)
    assert set(learned.weights.as_dict()) == set(json.loads(output.read_text())["weights"])


def test_typos_are_the_same_every_run_and_only_in_searches():
    queries = [
        LabelledQuery("q", "dev", {"T-009": 2}, query="nauka pływania dla dzieci z niepełnosprawnością"),
        LabelledQuery("i", "dev", {"T-002": 2}, institution="T-001"),
    ]
    once, again = typed_with_typos(queries, 1.0), typed_with_typos(queries, 1.0)
    assert once == again and once[1] == queries[1]
    words = list(zip(queries[0].query.split(), once[0].query.split(), strict=True))
    assert all(sorted(a) == sorted(b) for a, b in words)  # letters swapped, none lost
    assert [a != b for a, b in words] == [True, True, False, True, False, True]  # 5+ letters
    assert typed_with_typos(queries, 0.0) == queries
