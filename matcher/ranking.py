"""Score, filter and diversify partner candidates; the score is a weighted sum of named parts.

For an institution: each of our needs is compared with each of their offers and each of
their needs with each of our offers (dense + lexical similarity, calibrated as z-scores
against all units of that kind), the two directions are combined so that a two-way fit
beats a one-way fit, and sector, reach, audience and competition adjust the result.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matcher.config import DEFAULT_CONFIG, RankingConfig
from matcher.geo import distance_km
from matcher.index import PartnerIndex
from matcher.profiles import Profile
from matcher.typology import complementarity, is_undervalued


@dataclass
class Filters:
    """Restrictions applied to candidates before the list is cut to k."""

    category: tuple[str, ...] = ()
    powiat_teryt: tuple[str, ...] = ()
    target_group: tuple[str, ...] = ()
    theme: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()
    cross_sector_only: bool = False
    same_sector: bool = False
    max_distance_km: float | None = None
    near: tuple[float, float] | None = None

    @property
    def restricts_sector(self) -> bool:
        """True when the asker chose the sectors, so sector quotas do not apply."""
        return bool(self.category) or self.same_sector


@dataclass
class Query:
    """What is matched: an institution's units, or a free text, with their vectors."""

    texts: dict[str, list[str]]
    vectors: dict[str, np.ndarray]
    profile: Profile | None = None

    @property
    def is_institution(self) -> bool:
        return self.profile is not None


@dataclass
class Suggestion:
    """One ranked partner with the parts of its score and the evidence behind them."""

    profile: Profile
    score: float
    parts: dict[str, float]
    values: dict[str, float]
    evidence: dict[str, Any] = field(default_factory=dict)


class _Calibrated:
    """Unit-pair match strengths of a query kind against every unit of a target kind."""

    def __init__(
        self,
        index: PartnerIndex,
        query: Query,
        source: str,
        target: str,
        config: RankingConfig,
        lexical_rows=None,
    ) -> None:
        self.rows = index.rows_of_kind(target)
        self.column = {int(r): i for i, r in enumerate(self.rows)}
        texts = query.texts.get(source, [])
        if not texts or not len(self.rows):
            self.strength = np.zeros((len(texts), len(self.rows)), np.float32)
            self.dense = self.strength
            return
        self.dense = query.vectors[source] @ index.vectors[self.rows].T
        z = _zscore(self.dense)
        if config.lexical_share > 0:
            lexical = index.lexical.similarity(lexical_rows, index.lexical_rows[self.rows])
            z = (1 - config.lexical_share) * z + config.lexical_share * _zscore(lexical)
        self.strength = np.clip((z - config.z_floor) / (config.z_full - config.z_floor), 0, 1)

    def block(self, rows: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Strength and dense similarity of the query units against these target rows."""
        cols = [self.column[r] for r in rows]
        return self.strength[:, cols], self.dense[:, cols]


def _zscore(sims: np.ndarray) -> np.ndarray:
    mean = sims.mean(axis=1, keepdims=True)
    std = sims.std(axis=1, keepdims=True)
    return (sims - mean) / np.maximum(std, 1e-6)


def _direction(
    strength: np.ndarray, profile_strength: np.ndarray, config: RankingConfig
) -> tuple[float, int, int]:
    """Fit of one side's units (rows) by the other side's units (columns).

    Returns:
        (fit, best row, best column); column -1 means the profile stood in.
    """
    if strength.shape[0] == 0:
        return 0.0, -1, -1
    discounted = profile_strength * config.profile_as_unit
    best_unit = strength.max(axis=1) if strength.shape[1] else np.zeros(strength.shape[0])
    per_row = np.maximum(best_unit, discounted)
    order = np.argsort(-per_row)
    fit = float(per_row[order[0]])
    if len(order) > 1:
        fit = (fit + config.second_best * float(per_row[order[1]])) / (1 + config.second_best)
    row = int(order[0])
    if strength.shape[1] and best_unit[row] >= discounted[row]:
        return fit, row, int(strength[row].argmax())
    return fit, row, -1


def _overlap(ours: tuple[str, ...], theirs: tuple[str, ...]) -> tuple[float, list[str]]:
    shared = [x for x in ours if x in theirs]
    if not ours or not theirs:
        return 0.0, shared
    return len(shared) / min(len(ours), len(theirs)), shared


class Ranker:
    """Ranks the institutions of one index for a query."""

    def __init__(self, index: PartnerIndex, config: RankingConfig = DEFAULT_CONFIG) -> None:
        self.index = index
        self.config = config
        self._listed_by: dict[str, set[str]] = {}
        for profile in index.profiles.values():
            for partner in profile.partners:
                self._listed_by.setdefault(partner, set()).add(profile.external_id)

    def excluded(self, profile: Profile) -> set[str]:
        """The institution itself and its existing partners, in either direction."""
        return {profile.external_id} | set(profile.partners) | self._listed_by.get(profile.external_id, set())

    def candidates(self, query: Query, filters: Filters) -> list[str]:
        """Institutions worth scoring: FAISS neighbours of every query unit, or all that pass filters."""
        n = self.config.candidates_per_unit
        found: set[str] = set()
        searches = [
            ("need", "offer"),
            ("offer", "need"),
            ("profile", "profile"),
            ("need", "profile"),
            ("query", "offer"),
            ("query", "profile"),
        ]
        for source, target in searches:
            vectors = query.vectors.get(source)
            if vectors is None or not len(vectors):
                continue
            _, rows = self.index.search(target, vectors, n)
            found.update(self.index.units[r].institution for r in rows.ravel() if r >= 0)
        if _any_filter(filters):
            # Filtered lists must still fill k: score every institution that passes.
            found = set(self.index.profiles)
        return sorted(found)

    def rank(self, query: Query, filters: Filters, k: int) -> list[Suggestion]:
        """Score candidates, apply filters, diversify and cut to k."""
        config = self.config
        excluded = self.excluded(query.profile) if query.is_institution else set()
        origin = (query.profile.lat, query.profile.lon) if query.is_institution else filters.near
        pool = [self.index.profiles[c] for c in self.candidates(query, filters) if c not in excluded]
        pool = [p for p in pool if passes(p, filters, query.profile, origin)]
        if not pool:
            return []
        lexical = {
            s: self.index.lexical.transform(texts)
            for s, texts in query.texts.items()
            if texts and config.lexical_share > 0
        }
        calibrated = {
            (s, t): _Calibrated(self.index, query, s, t, config, lexical.get(s))
            for s, t in (
                ("need", "offer"),
                ("need", "profile"),
                ("offer", "need"),
                ("profile", "need"),
                ("profile", "profile"),
                ("need", "need"),
                ("query", "offer"),
                ("query", "profile"),
            )
            if query.texts.get(s)
        }
        scored = [self._score(query, p, calibrated, origin) for p in pool]
        if not query.is_institution:
            # A text search lists only institutions that match it in some way.
            scored = [
                s for s in scored if s.values.get("complement", 0) > 0 or s.values.get("profile", 0) > 0
            ]
        scored.sort(key=lambda s: (-s.score, s.profile.external_id))
        diversify = config.diversify and not filters.restricts_sector
        return select_diverse(scored, min(k, config.max_k), config, diversify)

    def _score(self, query: Query, other: Profile, cal: dict, origin) -> Suggestion:
        config, w = self.config, self.config.weights
        values: dict[str, float] = {}
        evidence: dict[str, Any] = {}
        profile_row = self.index.rows_of(other.external_id, "profile")

        def pair(source: str, target: str) -> tuple[np.ndarray, np.ndarray]:
            rows = self.index.rows_of(other.external_id, target) if target != "profile" else profile_row
            if (source, target) not in cal:
                return np.zeros((0, len(rows))), np.zeros((0, len(rows)))
            return cal[(source, target)].block(rows)

        if query.is_institution:
            me = query.profile
            s_no, d_no = pair("need", "offer")
            s_np, _ = pair("need", "profile")
            fit_in, row, col = _direction(s_no, s_np[:, 0] if s_np.size else np.zeros(len(s_no)), config)
            if row >= 0 and fit_in > 0:
                evidence["need_offer"] = _pair_evidence(
                    query.texts["need"][row],
                    other.offers[col] if col >= 0 else None,
                    float(d_no[row, col]) if col >= 0 else None,
                    fit_in,
                )
            s_on, d_on = pair("offer", "need")
            s_pn, _ = pair("profile", "need")
            # Their needs are the rows here: transpose so each of their needs seeks our offers.
            fit_out, row, col = _direction(s_on.T, s_pn[0] if s_pn.size else np.zeros(s_on.shape[1]), config)
            if row >= 0 and fit_out > 0:
                evidence["offer_need"] = _pair_evidence(
                    other.needs[row],
                    query.texts["offer"][col] if col >= 0 else None,
                    float(d_on[col, row]) if col >= 0 else None,
                    fit_out,
                )
            if config.reciprocal:
                values["complement"] = (fit_in + fit_out) / 2
                values["reciprocity"] = min(fit_in, fit_out)
            else:
                values["complement"] = fit_in
                values["reciprocity"] = 0.0
                evidence.pop("offer_need", None)
            s_pp, d_pp = pair("profile", "profile")
            values["profile"] = float(s_pp[0, 0]) if s_pp.size else 0.0
            evidence["profile_similarity"] = float(d_pp[0, 0]) if d_pp.size else 0.0
            values["sector"], evidence["sector"] = _sector(me, other)
            if me.category == other.category:
                s_nn, _ = pair("need", "need")
                clash = float(s_nn.max()) if s_nn.size else 0.0
                same_kind = 1.0 if me.subtype == other.subtype else 0.6
                values["competition"] = -clash * same_kind
                if clash > 0:
                    r, c = np.unravel_index(int(s_nn.argmax()), s_nn.shape)
                    evidence["competition"] = {
                        "our_need": query.texts["need"][r],
                        "their_need": other.needs[c],
                    }
            else:
                values["competition"] = 0.0
            overlap_groups, groups = _overlap(me.target_groups, other.target_groups)
            overlap_themes, themes = _overlap(me.themes, other.themes)
            values["audience"] = 0.6 * overlap_groups + 0.4 * overlap_themes
            evidence["audience"] = {"target_groups": groups, "themes": themes}
        else:
            s_qo, d_qo = pair("query", "offer")
            s_qp, d_qp = pair("query", "profile")
            fit, row, col = _direction(s_qo, s_qp[:, 0] if s_qp.size else np.zeros(len(s_qo)), config)
            values["complement"] = fit
            if fit > 0:
                evidence["query_offer"] = _pair_evidence(
                    query.texts["query"][0],
                    other.offers[col] if col >= 0 else None,
                    float(d_qo[0, col]) if col >= 0 else None,
                    fit,
                )
            values["profile"] = float(s_qp[0, 0]) if s_qp.size else 0.0
            evidence["profile_similarity"] = float(d_qp[0, 0]) if d_qp.size else 0.0
        if origin is not None:
            values["reach"], evidence["reach"] = self._reach(query.profile, other, origin)

        parts = {name: round(getattr(w, name) * value, 4) for name, value in values.items()}
        parts = {name: part for name, part in parts.items() if part != 0.0}
        return Suggestion(other, round(sum(parts.values()), 4), parts, values, evidence)

    def _reach(self, me: Profile | None, other: Profile, origin) -> tuple[float, dict]:
        km = distance_km(origin[0], origin[1], other.lat, other.lon)
        radius = self.config.radius_km
        reach_km = max(radius.get(other.scope, 15.0), radius.get(me.scope, 15.0) if me else 0.0)
        value = 1.0 if km <= reach_km else math.exp(-(km - reach_km) / reach_km)
        return value, {
            "km": round(km, 1),
            "reach_km": reach_km,
            "their_scope": other.scope,
            "our_scope": me.scope if me else None,
            "same_powiat": bool(me and me.powiat_teryt == other.powiat_teryt),
        }


def _pair_evidence(need: str, offer: str | None, similarity: float | None, strength: float) -> dict:
    return {
        "need": need,
        "offer": offer,
        "similarity": None if similarity is None else round(similarity, 3),
        "strength": round(strength, 3),
    }


def _sector(me: Profile, other: Profile) -> tuple[float, dict]:
    term = complementarity(me.category, other.category)
    if me.category == other.category:
        value, relation = (-1.0 if me.subtype == other.subtype else -0.5), "same"
    elif term is not None:
        value, relation = 1.0, "complementary"
    else:
        value, relation = 0.5, "cross"
    return value, {
        "ours": me.category,
        "theirs": other.category,
        "relation": relation,
        "why": term.key if term else None,
    }


def _any_filter(filters: Filters) -> bool:
    return any(
        [
            filters.category,
            filters.powiat_teryt,
            filters.target_group,
            filters.theme,
            filters.scope,
            filters.max_distance_km is not None,
            filters.same_sector,
            filters.cross_sector_only,
        ]
    )


def passes(p: Profile, f: Filters, me: Profile | None, origin) -> bool:
    if f.category and p.category not in f.category:
        return False
    if f.powiat_teryt and p.powiat_teryt not in f.powiat_teryt:
        return False
    if f.target_group and not set(f.target_group) & set(p.target_groups):
        return False
    if f.theme and not set(f.theme) & set(p.themes):
        return False
    if f.scope and p.scope not in f.scope:
        return False
    if me is not None and f.cross_sector_only and p.category == me.category:
        return False
    if me is not None and f.same_sector and p.category != me.category:
        return False
    if f.max_distance_km is not None and origin is not None:
        if distance_km(origin[0], origin[1], p.lat, p.lon) > f.max_distance_km:
            return False
    return True


def select_diverse(
    ranked: list[Suggestion], k: int, config: RankingConfig, diversify: bool
) -> list[Suggestion]:
    """Cut a ranked list to k with sector quotas and a fair slot for undervalued kinds.

    A sector already holding its quota waits until the other sectors run out; if no
    undervalued kind made the list, the best one within `undervalued_floor` of the
    last score takes the last slot.
    """
    if not diversify:
        return ranked[:k]
    limit = max(1, math.ceil(config.sector_quota * k / 10))
    chosen: list[Suggestion] = []
    waiting: list[Suggestion] = []
    counts: Counter[str] = Counter()
    for suggestion in ranked:
        if len(chosen) == k:
            break
        sector = suggestion.profile.category
        if counts[sector] < limit:
            chosen.append(suggestion)
            counts[sector] += 1
        else:
            waiting.append(suggestion)
    chosen += waiting[: k - len(chosen)]
    if chosen and len(chosen) == k and not any(_undervalued(s) for s in chosen):
        floor = chosen[-1].score * config.undervalued_floor if chosen[-1].score > 0 else chosen[-1].score
        taken = {id(s) for s in chosen}
        fair = next((s for s in ranked if id(s) not in taken and _undervalued(s) and s.score >= floor), None)
        if fair is not None:
            chosen[-1] = fair
    chosen.sort(key=lambda s: (-s.score, s.profile.external_id))
    return chosen


def _undervalued(s: Suggestion) -> bool:
    return is_undervalued(s.profile.category, s.profile.subtype)
