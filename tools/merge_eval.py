"""Merge per-region eval drafts (and reviewers' cross-region additions) into seed_data/eval/queries.json.

The dev/test split is fixed by position before any system is run: within each region and
query kind, queries alternate dev, test, dev, ...

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
                        "rationale": q.get("rationale", ""),
                    }
                )
                merged.append(row)
    OUT.write_text(json.dumps(merged, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    splits = {s: sum(q["split"] == s for q in merged) for s in ("dev", "test")}
    kinds = {k: sum(q["kind"] == k for q in merged) for k in ("institution", "query")}
    labels = sum(len(q["relevance"]) for q in merged)
    print(f"{len(merged)} queries {splits} {kinds}, {labels} labels -> {OUT}")


if __name__ == "__main__":
    main()
