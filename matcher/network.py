"""The cooperation network: suggestions for every institution, and how they cross sectors.

The regional study found that institutions cooperate mostly with their own kind. A
coordinator preparing a partnership fair needs each institution's best suggestions in one
list, and the region's picture in numbers: how many of today's partnerships cross sectors,
how many of the suggested ones would, how often the kinds the study calls undervalued get a
chance, and how evenly the suggestions spread over the registry (which sectors are shown
more or less than their share, and which institutions nobody is pointed to).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from embeddings import Encoder
from matcher import feedback
from matcher.config import DEFAULT_CONFIG, RankingConfig
from matcher.geo import distance_km
from matcher.index import PartnerIndex
from matcher.matching import MatchRequest, find_partners, present
from matcher.profiles import Profile
from matcher.typology import CATEGORIES, is_undervalued, label


@dataclass(frozen=True)
class Pair:
    """One suggested partner of one institution, as a coordinator's list shows it."""

    institution: Profile
    rank: int
    partner: Profile
    score: float
    explanation: str

    @property
    def km(self) -> float:
        a, b = self.institution, self.partner
        return distance_km(a.lat, a.lon, b.lat, b.lon)

    def row(self, lang: str = "pl") -> dict[str, Any]:
        """The pair as a flat record (public fields only: no contact data)."""
        a, b = self.institution, self.partner
        return {
            "institution": a.external_id,
            "institution_name": a.name,
            "institution_sector": label(CATEGORIES, a.category, lang),
            "powiat_teryt": a.powiat_teryt,
            "rank": self.rank,
            "partner": b.external_id,
            "partner_name": b.name,
            "partner_sector": label(CATEGORIES, b.category, lang),
            "partner_town": b.town,
            "distance_km": round(self.km, 1),
            "score": self.score,
            "explanation": self.explanation,
        }


def suggest_all(
    session: Session,
    index: PartnerIndex,
    encoder: Encoder,
    k: int = 5,
    powiat_teryt: str | None = None,
    config: RankingConfig = DEFAULT_CONFIG,
    lang: str = "pl",
) -> Iterator[Pair]:
    """The top k suggestions of every indexed institution (of one powiat, if given), as staff see them."""
    for external_id, profile in sorted(index.profiles.items()):
        if powiat_teryt and profile.powiat_teryt != powiat_teryt:
            continue
        request = feedback.without_dismissed(session, MatchRequest(institution=external_id, k=k))
        query, suggestions = find_partners(session, index, encoder, request, config)
        for rank, suggestion in enumerate(suggestions, start=1):
            shown = present(query, suggestion, lang=lang, voice="third")
            yield Pair(profile, rank, suggestion.profile, suggestion.score, shown["explanation"])


def summary(index: PartnerIndex, pairs: list[Pair], powiat_teryt: str | None = None) -> dict[str, Any]:
    """Existing partnerships against suggested ones: sector crossing, undervalued kinds, distance."""
    profiles = index.profiles
    existing = {
        tuple(sorted((a.external_id, partner)))
        for a in profiles.values()
        if not powiat_teryt or a.powiat_teryt == powiat_teryt
        for partner in a.partners
        if partner in profiles
    }
    crossing = [profiles[a].category != profiles[b].category for a, b in existing]
    suggested_kinds = Counter(
        tuple(sorted((label(CATEGORIES, p.institution.category), label(CATEGORIES, p.partner.category))))
        for p in pairs
    )
    offered_undervalued: dict[str, bool] = {}
    for p in pairs:
        undervalued = is_undervalued(p.partner.category, p.partner.subtype)
        offered_undervalued[p.institution.external_id] = (
            offered_undervalued.get(p.institution.external_id, False) or undervalued
        )
    return {
        "institutions": len(offered_undervalued),
        "existing_partnerships": len(existing),
        "existing_cross_sector_share": _share(crossing),
        "suggestions": len(pairs),
        "suggested_cross_sector_share": _share([p.institution.category != p.partner.category for p in pairs]),
        "suggested_undervalued_share": _share(
            [is_undervalued(p.partner.category, p.partner.subtype) for p in pairs]
        ),
        "institutions_offered_an_undervalued_kind": _share(list(offered_undervalued.values())),
        "suggested_median_km": round(statistics.median(p.km for p in pairs), 1) if pairs else None,
        "top_sector_pairs": [
            {"sectors": list(kinds), "suggestions": n} for kinds, n in suggested_kinds.most_common(5)
        ],
        **exposure(list(profiles.values()), pairs),
    }


def exposure(registry: list[Profile], pairs: list[Pair]) -> dict[str, Any]:
    """How the suggestions spread over the institutions that could be suggested.

    A sector's exposure ratio is its share of the suggestions over its share of the registry
    (1 = shown as often as its size alone would give). The Gini coefficient of how often each
    institution is suggested is 0 when all are suggested equally and near 1 when a few take all.
    """
    if not registry or not pairs:
        return {}
    times = Counter(p.partner.external_id for p in pairs)
    counts = sorted(times.get(p.external_id, 0) for p in registry)
    n, total = len(counts), sum(counts)
    gini = sum((2 * i - n + 1) * c for i, c in enumerate(counts)) / (n * total)
    sizes = Counter(p.category for p in registry)
    shown = Counter(p.partner.category for p in pairs)
    undervalued = sum(is_undervalued(p.category, p.subtype) for p in registry) / n
    suggested_undervalued = sum(is_undervalued(p.partner.category, p.partner.subtype) for p in pairs)
    return {
        "exposure_by_sector": [
            {
                "sector": label(CATEGORIES, category),
                "institutions": size,
                "registry_share": round(size / n, 3),
                "suggestion_share": round(shown[category] / len(pairs), 3),
                "exposure_ratio": round(shown[category] / len(pairs) / (size / n), 2),
            }
            for category, size in sorted(sizes.items(), key=lambda kv: shown[kv[0]] / kv[1])
        ],
        "undervalued_exposure_ratio": round(suggested_undervalued / len(pairs) / undervalued, 2)
        if undervalued
        else None,
        "institutions_never_suggested": n - len(times.keys() & {p.external_id for p in registry}),
        "exposure_gini": round(gini, 3),
    }


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None
