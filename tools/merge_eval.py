"""Merge the labelled set into seed_data/eval/queries.json.

Sources: per-region drafts, reviewers' cross-region additions and pooled judgments.

The dev/test split is fixed by position before any system is run: within each region and
query kind, queries alternate dev, test, dev, ...

Pooled judgments (`pool_*.json` in ADDITIONS_DIR, `{query id: {card: [grade, reason]}}`)
grade cards that ranked in some system's top 10 without a label; they never overwrite an
earlier label. They are kept apart (`pooled` for grades 1-2, `judged_zero` for 0), so the
set can be scored with or without them and judging coverage can be measured.

Run: python tools/merge_eval.py [ADDITIONS_DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DRAFTS = ROOT / "seed_data" / "eval" / "drafts"
OUT = ROOT / "seed_data" / "eval" / "queries.json"


def main() -> None:
    additions_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    merged = []
    pooled: dict[str, dict[str, list]] = {}
    for pool in sorted(additions_dir.glob("pool_*.json")) if additions_dir else []:
        for query_id, grades in json.loads(pool.read_text(encoding="utf-8")).items():
            for card, (grade, _reason) in grades.items():
                pooled.setdefault(query_id, {}).setdefault(card, int(grade))
    for draft in sorted(DRAFTS.glob("*.json")):
        region = draft.stem
        queries = json.loads(draft.read_text(encoding="utf-8"))
        extra = {}
        if additions_dir and (additions_dir / f"additions_{region}.json").exists():
            extra = json.loads((additions_dir / f"additions_{region}.json").read_text(encoding="utf-8"))
        for kind in ("institution", "query"):
            of_kind = sorted((q for q in queries if q["kind"] == kind), key=lambda q: q["id"])
            for position, q in enumerate(of_kind):
                relevance = dict(q["relevance"])
                for card, grade in extra.get(q["id"], {}).items():
                    relevance.setdefault(card, int(grade))
                from_pool = {c: g for c, g in pooled.get(q["id"], {}).items() if c not in relevance}
                row = {
                    "id": q["id"],
                    "split": "dev" if position % 2 == 0 else "test",
                    "region": region,
                    "kind": kind,
                }
                row.update(
                    {"institution": q["institution"]} if kind == "institution" else {"query": q["query"]}
                )
                row.update(
                    {
                        "filters": q.get("filters") or {},
                        "relevance": relevance,
                        "pooled": {c: g for c, g in sorted(from_pool.items()) if g > 0},
                        "judged_zero": sorted(c for c, g in from_pool.items() if g == 0),
                        "rationale": q.get("rationale", ""),
                    }
                )
                merged.append(row)
    OUT.write_text(json.dumps(merged, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    splits = {s: sum(q["split"] == s for q in merged) for s in ("dev", "test")}
    kinds = {k: sum(q["kind"] == k for q in merged) for k in ("institution", "query")}
    labels = sum(len(q["relevance"]) for q in merged)
    pooled_labels = sum(len(q["pooled"]) for q in merged)
    zeros = sum(len(q["judged_zero"]) for q in merged)
    print(
        f"{len(merged)} queries {splits} {kinds}: {labels} labels by the authors and reviewers, "
        f"{pooled_labels} from pooled judging, {zeros} pooled cards judged 0 -> {OUT}"
    )


if __name__ == "__main__":
    main()
