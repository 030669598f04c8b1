"""Pooled judging for the labelled set: find the unjudged cards that systems rank, write blind packets.

Labels written by reading cards miss plausible partners, and an unlisted card counts as 0,
so a system that finds new good partners is scored down. Pooling (as in TREC) closes the
gap fairly: the top `depth` cards of every compared system (the ranking, its ablations,
the baselines) that no judge has read yet go to judges, who grade them by
`seed_data/eval/judging_guide.md` without knowing which system, or rank, brought them.

    python tools/pool_eval.py pool DIR [--depth 10] [--parts 8] [--search-texts FILE]
        DIR/pool.json ({query id: [card ids]}) and DIR/packet_N.txt, cards in id order;
        with --search-texts, the searches are asked in those words (e.g. English) and only
        they are pooled (the judges read each search as the labelled set writes it);
        --only NAME pools one system of the report (repeatable)
    python tools/pool_eval.py collect DIR seed_data/eval/reviews/pool_roundN.json
        checks that DIR/grades_*.json grade every pooled card, writes one round file

then `python tools/merge_eval.py seed_data/eval/reviews` folds the rounds into queries.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from embeddings import load_encoder  # noqa: E402
from matcher.config import DEFAULT_CONFIG  # noqa: E402
from matcher.db import make_engine, make_session_factory  # noqa: E402
from matcher.evaluation import (  # noqa: E402
    ablations,
    asked_as,
    build_evaluation_index,
    load_labelled,
    profile_baseline,
    system_ranker,
    tfidf_baseline,
)
from matcher.geo import distance_km, powiat_names  # noqa: E402
from matcher.profiles import Profile  # noqa: E402
from matcher.typology import CATEGORIES, SCOPES, SUBTYPES, TARGET_GROUPS, THEMES, label  # noqa: E402
from service.config import from_environment  # noqa: E402

QUERIES = ROOT / "seed_data" / "eval" / "queries.json"


def pool(
    directory: Path,
    depth: int,
    parts: int,
    workdir: Path,
    search_texts: Path | None = None,
    only: list[str] | None = None,
) -> None:
    engine = make_engine(f"sqlite:///{workdir / 'evaluation.db'}")
    # The encoder `matcher evaluate` uses, so the pool holds the cards it will rank.
    encoder = load_encoder(from_environment()["ENCODER"])
    with make_session_factory(engine)() as session:
        seed = sorted((ROOT / "seed_data" / "fiszki").glob("*.jsonl"))
        index = build_evaluation_index(session, encoder, seed, workdir / "evaluation-index")
        variants = ablations(DEFAULT_CONFIG)
        systems = {name: system_ranker(session, index, encoder, c) for name, c in variants.items()}
        systems["profile baseline"] = profile_baseline(index, encoder)
        systems["tf-idf baseline"] = tfidf_baseline(index)
        if only:
            systems = {name: rank for name, rank in systems.items() if name in only}
        queries = load_labelled(QUERIES)
        if search_texts is not None:
            texts = json.loads(search_texts.read_text(encoding="utf-8"))
            asked = {q.id: q for q in asked_as([q for q in queries if q.query], texts)}
        else:
            asked = {q.id: q for q in queries}
        pooled: dict[str, list[str]] = {}
        for q in queries:
            if q.id not in asked:
                continue
            seen = {card for rank in systems.values() for card in rank(asked[q.id])[:depth]}
            fresh = sorted(seen - q.judged - {q.institution})
            if fresh:
                pooled[q.id] = fresh
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "pool.json").write_text(json.dumps(pooled, indent=1), encoding="utf-8")
        print(f"{sum(map(len, pooled.values()))} unjudged cards in {len(pooled)} queries")
        write_packets(directory, pooled, {q.id: q for q in queries}, index.profiles, parts)
    engine.dispose()


def card(p: Profile, head: str, origin: Profile | None = None) -> str:
    """A card as judges read it: no contact data, distance from the asker when there is one."""
    powiats = powiat_names()
    subtype = SUBTYPES.get(p.category, {}).get(p.subtype)
    where = f"town: {p.town} (powiat {powiats.get(p.powiat_teryt, p.powiat_teryt)})"
    reach = f"area of operation: {label(SCOPES, p.scope)} ({p.scope})"
    if origin is not None:
        reach += f"; distance from the asker: {distance_km(origin.lat, origin.lon, p.lat, p.lon):.0f} km"
    lines = [
        f"{head} {p.external_id} | {p.name}",
        f"   type: {CATEGORIES[p.category].pl} / {subtype.pl if subtype else p.subtype}; {where}; {reach}",
        f"   audience: {', '.join(label(TARGET_GROUPS, t) for t in p.target_groups)}; "
        f"themes: {', '.join(label(THEMES, t) for t in p.themes)}",
        f"   description: {p.description}",
        *(f"   OFFER: {o}" for o in p.offers),
        *(f"   NEED: {n}" for n in p.needs),
    ]
    return "\n".join(lines)


def write_packets(directory: Path, pooled: dict[str, list[str]], queries, profiles, parts: int) -> None:
    """Split the pool into `parts` packets of about equal size, whole queries each."""
    packets: list[list[str]] = [[] for _ in range(parts)]
    sizes = [0] * parts
    for query_id in sorted(pooled, key=lambda q: -len(pooled[q])):
        smallest = sizes.index(min(sizes))
        packets[smallest].append(query_id)
        sizes[smallest] += len(pooled[query_id])
    for n, packet in enumerate((p for p in packets if p), start=1):
        out = []
        for query_id in sorted(packet):
            q = queries[query_id]
            asker = profiles[q.institution] if q.institution else None
            out.append("=" * 100)
            filters = f" (filters: {q.filters})" if q.filters else ""
            if asker is not None:
                out += [f"QUERY {query_id}: partners for this institution{filters}", card(asker, "ASKER")]
            else:
                out.append(f"QUERY {query_id}: free-text search: «{q.query}»{filters or ' (no filter)'}")
            out.append(f"CANDIDATES to grade ({len(pooled[query_id])}):")
            out += [card(profiles[c], "-", asker) for c in pooled[query_id]]
        (directory / f"packet_{n}.txt").write_text("\n".join(out) + "\n", encoding="utf-8")


def collect(directory: Path, output: Path) -> None:
    pooled = json.loads((directory / "pool.json").read_text(encoding="utf-8"))
    grades: dict[str, dict[str, list]] = {}
    for path in sorted(directory.glob("grades_*.json")):
        for query_id, cards in json.loads(path.read_text(encoding="utf-8")).items():
            grades.setdefault(query_id, {}).update(cards)
    missing = [(q, c) for q, cards in pooled.items() for c in cards if c not in grades.get(q, {})]
    bad = [(q, c) for q, cards in grades.items() for c, (g, _) in cards.items() if g not in (0, 1, 2)]
    if missing or bad:
        sys.exit(f"ungraded: {missing[:5]} ({len(missing)}); bad grades: {bad[:5]} ({len(bad)})")
    rounds = {
        q: {c: [int(g), r] for c, (g, r) in sorted(cards.items())} for q, cards in sorted(grades.items())
    }
    output.write_text(json.dumps(rounds, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{sum(map(len, rounds.values()))} grades -> {output}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pool")
    p.add_argument("directory", type=Path)
    p.add_argument("--depth", type=int, default=10)
    p.add_argument("--parts", type=int, default=8)
    p.add_argument(
        "--workdir", type=Path, default=ROOT / "instance", help="where the evaluation db and index live"
    )
    p.add_argument("--search-texts", type=Path, help="ask the searches in these words (by query id)")
    p.add_argument("--only", action="append", help="pool only this system (repeatable), e.g. 'system'")
    c = sub.add_parser("collect")
    c.add_argument("directory", type=Path)
    c.add_argument("output", type=Path)
    args = parser.parse_args()
    if args.command == "pool":
        pool(args.directory, args.depth, args.parts, args.workdir, args.search_texts, args.only)
    else:
        collect(args.directory, args.output)


if __name__ == "__main__":
    main()
