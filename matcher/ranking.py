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
from matcher.geo import Place
from matcher.index import PartnerIndex
from matcher.kinds import named_kinds
from matcher.profiles import Profile
from matcher.typology import (
    COMPLEMENTARY_GROUPS,
    COMPLEMENTARY_THEMES,
    TARGET_GROUPS,
    THEMES,
    complementarity,
    complementary_terms,
    complements_of,
    is_undervalued,
)

# Unit pairs where each of our words is also matched with their closest word: the pairs
# that decide whether they meet a need (a profile is too long for a word view to mean much).
TERM_PAIRS = {("need", "offer"), ("offer", "need"), ("query", "offer")}
TERM_SOURCES = sorted({source for source, _ in TERM_PAIRS})

# Within this share of `proximity_km` a partner is called near: proximity then keeps
# nearly all of its reach (at least 1 - proximity * NEAR_SHARE).
NEAR_SHARE = 0.25


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
    # Institutions never to list (already contacted, or dismissed by the asker's staff).
    exclude: tuple[str, ...] = ()

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
    # Vectors of the query's lemmas that no card uses (soft term matching).
    lemma_vectors: dict[str, np.ndarray] = field(default_factory=dict)
    # TF-IDF rows of the texts when the index already holds them (an indexed institution).
    lexical: dict[str, Any] = field(default_factory=dict)
    # A search typed without Polish letters, as it was read with them put back.
    respelt: str | None = None
    # Whether the query is Polish: a search written in another language is read by the word
    # views (character n-grams, lemmas) only through its `gloss`.
    polish: bool = True
    # The town a search names ("basen pod Miechowem") when no `near` is given: where its
    # distances are measured from.
    place: Place | None = None
    # A search in English read with the Polish words of a domain dictionary (`matcher.gloss`):
    # what the Polish word views read in place of its text.
    gloss: str | None = None

    def word_texts(self) -> dict[str, list[str]]:
        """The texts the Polish word views read: the texts, a foreign search's gloss, or none."""
        if self.polish:
            return self.texts
        return {"query": [self.gloss]} if self.gloss else {}

    @property
    def is_institution(self) -> bool:
        return self.profile is not None

    def origin(self, filters: Filters) -> tuple[float, float] | None:
        """Where distances are measured from: the institution, else `near`, else the named place."""
        if self.profile is not None:
            return self.profile.lat, self.profile.lon
        if filters.near is not None:
            return filters.near
        return (self.place.lat, self.place.lon) if self.place is not None else None


@dataclass
class Suggestion:
    """One ranked partner with the parts of its score and the evidence behind them."""

    profile: Profile
    score: float
    parts: dict[str, float]
    values: dict[str, float]
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class Standing:
    """One institution as a partner for a query: its scored suggestion and where it stands.

    `status`: "suggested" (among the k suggestions), "ranked" (scored below them, or held
    back by the sector quota), "existing_partner" (never suggested), "excluded" (by the
    request, e.g. dismissed by the asker's staff) or "filtered" (the request's filters leave
    it out). `last_score`: the k-th suggestion's score, when k were listed.
    """

    suggestion: Suggestion
    status: str
    position: int | None
    last_score: float | None


@dataclass
class _Scored:
    """One query scored against the whole index."""

    query: Query
    # Institutions that pass the filters and exclusions; `mask`: those of them that may be listed.
    eligible: np.ndarray
    mask: np.ndarray
    strengths: _Strengths
    values: dict[str, np.ndarray]
    parts: dict[str, np.ndarray]
    total: np.ndarray
    km: np.ndarray | None
    reach_km: np.ndarray | None
    inside: np.ndarray | None


class Layout:
    """Per-index arrays that let one query be scored against every institution at once."""

    def __init__(self, index: PartnerIndex) -> None:
        self.ids = list(index.profiles)
        self.position = {external_id: i for i, external_id in enumerate(self.ids)}
        profiles = [index.profiles[i] for i in self.ids]
        self.n = len(self.ids)
        self.id_array = np.array(self.ids)
        self.category = np.array([p.category for p in profiles])
        self.subtype = np.array([p.subtype for p in profiles])
        self.scope = np.array([p.scope for p in profiles])
        self.powiat = np.array([p.powiat_teryt for p in profiles])
        self.gmina = np.array([p.gmina_teryt for p in profiles])
        self.lat = np.radians([p.lat for p in profiles])
        self.lon = np.radians([p.lon for p in profiles])
        self.groups = _bitmask([p.target_groups for p in profiles], TARGET_GROUPS)
        self.themes = _bitmask([p.themes for p in profiles], THEMES)
        # Units of each kind, in index order, are grouped by institution.
        self.owner: dict[str, np.ndarray] = {}
        self.starts: dict[str, np.ndarray] = {}
        self.span: dict[str, dict[int, tuple[int, int]]] = {}
        self.lexical: dict[str, Any] = {}
        self.vectors: dict[str, np.ndarray] = {}
        for kind in ("profile", "offer", "need"):
            rows = index.rows_of_kind(kind)
            owner = np.array([self.position[index.units[r].institution] for r in rows], dtype=np.int64)
            starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(owner) else owner
            self.owner[kind], self.starts[kind] = owner, starts
            ends = np.r_[starts[1:], len(owner)] if len(owner) else owner
            self.span[kind] = {int(owner[s]): (int(s), int(e)) for s, e in zip(starts, ends, strict=True)}
            # Transposed once here so each query is a plain (units x terms) @ (terms x units).
            self.lexical[kind] = index.lexical_rows[rows].T.tocsr()
            self.vectors[kind] = np.ascontiguousarray(index.vectors[rows].T)

    @classmethod
    def of(cls, index: PartnerIndex) -> Layout:
        """The layout of an index, built once and kept on it."""
        layout = index.derived.get("layout")
        if layout is None:
            layout = index.derived["layout"] = cls(index)
        return layout

    def per_institution_max(self, matrix: np.ndarray, kind: str) -> np.ndarray:
        """Max over each institution's units of a kind: (rows, units) -> (rows, institutions)."""
        out = np.zeros((matrix.shape[0], self.n), dtype=np.float32)
        if matrix.shape[0] and matrix.shape[1]:
            out[:, self.owner[kind][self.starts[kind]]] = np.maximum.reduceat(
                matrix, self.starts[kind], axis=1
            )
        return out

    def top_two(self, values: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """Best and second-best value of each institution's units of a kind."""
        top1 = np.zeros(self.n, np.float32)
        top2 = np.zeros(self.n, np.float32)
        if len(values):
            owner = self.owner[kind]
            order = np.lexsort((-values, owner))
            owner_sorted, values_sorted = owner[order], values[order]
            first = np.r_[True, owner_sorted[1:] != owner_sorted[:-1]]
            top1[owner_sorted[first]] = values_sorted[first]
            second = np.r_[False, ~first[1:]] & np.r_[True, first[:-1]]
            top2[owner_sorted[second]] = values_sorted[second]
        return top1, top2


def _bitmask(lists: list[tuple[str, ...]], terms: dict) -> np.ndarray:
    bit = {key: 1 << i for i, key in enumerate(terms)}
    return np.array([sum(bit.get(k, 0) for k in set(keys)) for keys in lists], dtype=np.int64)


def _zscore(sims: np.ndarray) -> np.ndarray:
    mean = sims.mean(axis=1, keepdims=True)
    std = sims.std(axis=1, keepdims=True)
    return (sims - mean) / np.maximum(std, 1e-6)


class _Strengths:
    """Unit-pair match strengths of one query against all units, per (source, target) kind."""

    def __init__(self, index: PartnerIndex, layout: Layout, query: Query, config: RankingConfig):
        self.strength: dict[tuple[str, str], np.ndarray] = {}
        self.dense: dict[tuple[str, str], np.ndarray] = {}
        words = query.word_texts()
        lexical = {
            s: query.lexical[s] if s in query.lexical else index.lexical.transform(t)
            for s, t in words.items()
            if t and config.lexical_share > 0
        }
        use_terms = index.terms is not None and config.term_share > 0
        pairs = (
            ("need", "offer"),
            ("need", "profile"),
            ("offer", "need"),
            ("profile", "need"),
            ("profile", "profile"),
            ("need", "need"),
            ("query", "offer"),
            ("query", "profile"),
        )
        for source, target in pairs:
            if not query.texts.get(source):
                continue
            dense = query.vectors[source] @ layout.vectors[target]
            z = _zscore(dense) if dense.shape[1] > 1 else np.zeros_like(dense)
            if source in lexical and dense.shape[1] > 1:
                sims = (lexical[source] @ layout.lexical[target]).toarray()
                z = (1 - config.lexical_share) * z + config.lexical_share * _zscore(sims)
            if (source, target) in TERM_PAIRS and use_terms and source in words and dense.shape[1] > 1:
                covered = index.terms.coverage(
                    words[source], target, config.term_sharpen, query.lemma_vectors, config.term_synonym
                )
                z = (1 - config.term_share) * z + config.term_share * _zscore(covered)
            self.dense[(source, target)] = dense
            self.strength[(source, target)] = np.clip(
                (z - config.z_floor) / (config.z_full - config.z_floor), 0, 1
            ).astype(np.float32)

    def get(self, source: str, target: str, n_source: int, n_target: int) -> np.ndarray:
        return self.strength.get((source, target), np.zeros((n_source, n_target), np.float32))


def _with_context(by_unit: np.ndarray, by_profile: np.ndarray, config: RankingConfig) -> np.ndarray:
    """A unit's fit, read in the context of the whole institution.

    "Praktyki dla 28 uczniów" fits many offers of internships; the profile of a furniture
    plant tells which of them is about furniture. A profile alone, at a discount, can
    also stand in for offers or needs a card does not list.
    """
    blended = (1 - config.profile_context) * by_unit + config.profile_context * by_profile
    return np.maximum(blended, config.profile_as_unit * by_profile)


def _per_need_scale(per_row: np.ndarray, config: RankingConfig) -> np.ndarray:
    """Rescale each need's fits so its best-matching institution reaches 1.

    Long or unusual needs score lower against everything; without this the needs that
    are easiest to match would fill the whole list.
    """
    if config.need_scale_floor >= 1 or not per_row.size:
        return per_row
    top = per_row.max(axis=1, keepdims=True)
    return np.minimum(per_row / np.maximum(top, config.need_scale_floor), 1.0)


def _named_kind_factor(needs: list[str], category: np.ndarray, share: float) -> np.ndarray:
    """(needs, institutions): 1, or `share` for an institution not of a kind the need names."""
    factor = np.ones((len(needs), len(category)), np.float32)
    if share < 1:
        for row, need in enumerate(needs):
            kinds = named_kinds(need)
            if kinds:
                factor[row, ~np.isin(category, list(kinds))] = share
    return factor


def _power_mean(a: np.ndarray, b: np.ndarray, power: float) -> np.ndarray:
    """Power mean of the two directions: 1 the plain mean, -1 harmonic (RECON), inf the max."""
    if math.isinf(power):
        return np.maximum(a, b)
    if power == 0:
        return np.sqrt(a * b)
    with np.errstate(divide="ignore"):
        mean = (np.power(np.maximum(a, 1e-9), power) + np.power(np.maximum(b, 1e-9), power)) / 2
    return np.power(mean, 1 / power).astype(np.float32)


def _combine(per_row: np.ndarray, config: RankingConfig) -> np.ndarray:
    """One side's fit from its best and second-best covered unit: (units, institutions) -> (institutions,)."""
    if per_row.shape[0] == 0:
        return np.zeros(per_row.shape[1], np.float32)
    if per_row.shape[0] == 1:
        return per_row[0]
    best = -np.sort(-per_row, axis=0)
    return (best[0] + config.second_best * best[1]) / (1 + config.second_best)


class Ranker:
    """Ranks the institutions of one index for a query."""

    def __init__(self, index: PartnerIndex, config: RankingConfig = DEFAULT_CONFIG) -> None:
        self.index = index
        self.config = config
        self.layout = Layout.of(index)
        listed_by = index.derived.get("listed_by")
        if listed_by is None:
            listed_by = index.derived["listed_by"] = {}
            for profile in index.profiles.values():
                for partner in profile.partners:
                    listed_by.setdefault(partner, set()).add(profile.external_id)
        self._listed_by = listed_by

    def excluded(self, profile: Profile) -> set[str]:
        """The institution itself and its existing partners, in either direction."""
        return {profile.external_id} | set(profile.partners) | self._listed_by.get(profile.external_id, set())

    def candidates(self, query: Query, filters: Filters) -> np.ndarray:
        """Mask of institutions worth scoring: FAISS neighbours of every query unit.

        With filters, every institution that passes them is a candidate, so a
        filtered list still fills k.
        """
        mask = np.zeros(self.layout.n, dtype=bool)
        if _any_filter(filters):
            mask[:] = True
            return mask
        n = self.config.candidates_per_unit
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
            for row in rows.ravel():
                if row >= 0:
                    mask[self.layout.position[self.index.units[row].institution]] = True
        return mask

    def rank(self, query: Query, filters: Filters, k: int) -> list[Suggestion]:
        """Score candidates, apply filters, diversify and cut to k."""
        scored = self._score(query, filters)
        return self._select(scored, filters, k) if scored.mask.any() else []

    def assess(self, query: Query, filters: Filters, k: int, external_id: str) -> Standing:
        """Where one institution stands as a partner for an institution's query, and why.

        Its score and evidence are computed whether or not it is listed; `position` is its
        place among the k suggestions when listed there, else its place by score among all
        eligible institutions (before the sector quota).

        Raises:
            KeyError: the institution is not in the index.
        """
        i = self.layout.position[external_id]
        scored = self._score(query, filters)
        selected = self._select(scored, filters, k) if scored.mask.any() else []
        listed = [s.profile.external_id for s in selected]
        last = selected[-1].score if len(selected) == min(k, self.config.max_k) else None
        if external_id in listed:
            suggestion = selected[listed.index(external_id)]
            return Standing(suggestion, "suggested", listed.index(external_id) + 1, last)
        suggestion = self._suggestion(scored, i)
        suggestion.evidence = self._evidence(scored, suggestion)
        if query.profile is not None and external_id in self.excluded(query.profile):
            return Standing(suggestion, "existing_partner", None, last)
        if external_id in filters.exclude:
            return Standing(suggestion, "excluded", None, last)
        if not scored.eligible[i]:
            return Standing(suggestion, "filtered", None, last)
        # Ranked as `rank` orders: by score, ties by id.
        total, ids = scored.total, self.layout.id_array
        ahead = scored.eligible & ((total > total[i]) | ((total == total[i]) & (ids < external_id)))
        return Standing(suggestion, "ranked", int(ahead.sum()) + 1, last)

    def _score(self, query: Query, filters: Filters) -> _Scored:
        """Every part of every institution's score, and which of them may be listed."""
        config, me = self.config, query.profile
        origin = query.origin(filters)
        # Distances from the asker, with each pair's radius and whether one side's area holds
        # the other: computed once for the filter, the reach part and the evidence.
        km = self._distances(origin) if origin is not None else None
        reach_km = self._reach_km(me) if km is not None else None
        inside = self._inside_area(me) if km is not None and me is not None else None
        eligible = self.eligible(me, filters, km)
        mask = self.candidates(query, filters) & eligible
        strengths = _Strengths(self.index, self.layout, query, config)
        values = self._values(query, strengths, km, reach_km, inside)
        weights = config.weights
        parts = {name: getattr(weights, name) * v for name, v in values.items()}
        total = np.sum(list(parts.values()), axis=0)
        if me is None:
            # A text search lists only institutions that match it in some way.
            mask &= (values["complement"] > 0) | (values["profile"] > 0)
        return _Scored(query, eligible, mask, strengths, values, parts, total, km, reach_km, inside)

    def _select(self, scored: _Scored, filters: Filters, k: int) -> list[Suggestion]:
        """The listed institutions, best first: ranked, diversified, cut to k, with evidence."""
        config, layout = self.config, self.layout
        chosen = np.flatnonzero(scored.mask)
        order = chosen[np.lexsort((layout.id_array[chosen], -scored.total[chosen]))]
        # Enough of the ranking for the sector quota to find variety before it must refill.
        pool = order[: max(20 * k, 200)]
        suggestions = [self._suggestion(scored, i) for i in pool]
        diversify = config.diversify and not filters.restricts_sector
        selected = select_diverse(suggestions, min(k, config.max_k), config, diversify)
        for suggestion in selected:
            suggestion.evidence = self._evidence(scored, suggestion)
        return selected

    def eligible(self, me: Profile | None, f: Filters, km: np.ndarray | None = None) -> np.ndarray:
        """Mask of institutions that pass the filters and are neither the asker nor its partners.

        `km`: distances from the asker (or `near`, or the town a search names), when the caller
        has them already; without them the distance filter applies from the asker or `near`.
        """
        layout, mask = self.layout, np.ones(self.layout.n, dtype=bool)
        origin = (me.lat, me.lon) if me is not None else f.near
        never = (self.excluded(me) if me is not None else set()) | set(f.exclude)
        for external_id in never:
            if external_id in layout.position:
                mask[layout.position[external_id]] = False
        if f.category:
            mask &= np.isin(layout.category, f.category)
        if f.powiat_teryt:
            mask &= np.isin(layout.powiat, f.powiat_teryt)
        if f.scope:
            mask &= np.isin(layout.scope, f.scope)
        if f.target_group:
            mask &= (layout.groups & _bitmask([f.target_group], TARGET_GROUPS)[0]) != 0
        if f.theme:
            mask &= (layout.themes & _bitmask([f.theme], THEMES)[0]) != 0
        if me is not None and f.cross_sector_only:
            mask &= layout.category != me.category
        if me is not None and f.same_sector:
            mask &= layout.category == me.category
        if f.max_distance_km is not None and (km is not None or origin is not None):
            mask &= (self._distances(origin) if km is None else km) <= f.max_distance_km
        return mask

    def _distances(self, origin: tuple[float, float]) -> np.ndarray:
        lat0, lon0 = math.radians(origin[0]), math.radians(origin[1])
        layout = self.layout
        h = (
            np.sin((layout.lat - lat0) / 2) ** 2
            + math.cos(lat0) * np.cos(layout.lat) * np.sin((layout.lon - lon0) / 2) ** 2
        )
        return 12742.0 * np.arcsin(np.sqrt(np.minimum(1.0, h)))

    def _values(
        self,
        query: Query,
        st: _Strengths,
        km: np.ndarray | None,
        reach_km: np.ndarray | None = None,
        inside: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Every part's value for every institution, before weighting."""
        config, layout, me = self.config, self.layout, query.profile
        n = layout.n
        values: dict[str, np.ndarray] = {}
        if me is not None:
            n_need, n_offer = len(query.texts["need"]), len(query.texts["offer"])
            rows = {kind: len(self.index.rows_of_kind(kind)) for kind in ("offer", "need")}
            # Our needs, met by their offers (or, at a discount, by what their profile says).
            by_offer = layout.per_institution_max(st.get("need", "offer", n_need, rows["offer"]), "offer")
            by_profile = st.get("need", "profile", n_need, n)
            fit_need = _with_context(by_offer, by_profile, config) * _named_kind_factor(
                query.texts["need"], layout.category, config.named_kind
            )
            fit_in = _combine(_per_need_scale(fit_need, config), config)
            # Their needs, met by our offers (or by what our profile says).
            their = st.get("offer", "need", n_offer, rows["need"])
            best = their.max(axis=0) if n_offer else np.zeros(rows["need"], np.float32)
            best = _with_context(best, st.get("profile", "need", 1, rows["need"])[0], config)
            top1, top2 = layout.top_two(best, "need")
            has_two = np.zeros(n, bool)
            for i, (s, e) in layout.span["need"].items():
                has_two[i] = e - s > 1
            fit_out = np.where(has_two, (top1 + config.second_best * top2) / (1 + config.second_best), top1)
            if config.reciprocal:
                values["complement"] = _power_mean(fit_in, fit_out, config.direction_power)
                values["reciprocity"] = np.minimum(fit_in, fit_out)
            else:
                values["complement"] = fit_in
            values["profile"] = st.get("profile", "profile", 1, n)[0]
            values["sector"] = _sector_values(me, layout)
            same = layout.category == me.category
            clash = layout.per_institution_max(st.get("need", "need", n_need, rows["need"]), "need")
            clash = clash.max(axis=0) if n_need else np.zeros(n, np.float32)
            values["competition"] = -clash * same * np.where(layout.subtype == me.subtype, 1.0, 0.6)
            share = config.complementary_audience
            values["audience"] = 0.6 * _affinity(
                layout.groups, me.target_groups, TARGET_GROUPS, COMPLEMENTARY_GROUPS, share
            ) + 0.4 * _affinity(layout.themes, me.themes, THEMES, COMPLEMENTARY_THEMES, share)
        else:
            by_offer = layout.per_institution_max(
                st.get("query", "offer", 1, len(self.index.rows_of_kind("offer"))), "offer"
            )
            by_profile = st.get("query", "profile", 1, n)
            values["complement"] = _with_context(by_offer, by_profile, config)[0]
            values["profile"] = st.get("query", "profile", 1, n)[0]
        if km is not None:
            values["reach"] = self._reach(me, km, reach_km, inside)
        return values

    def _reach_km(self, me: Profile | None) -> np.ndarray:
        """How far each pair can reach: the larger of the two areas of operation."""
        radius = self.config.radius_km
        theirs = _per_value(self.layout.scope, lambda scope: radius.get(scope, 15.0))
        return np.maximum(theirs, radius.get(me.scope, 15.0) if me is not None else 0.0)

    def _reach(
        self,
        me: Profile | None,
        km: np.ndarray,
        reach_km: np.ndarray | None = None,
        inside: np.ndarray | None = None,
    ) -> np.ndarray:
        """Reach of every institution from `km` away (`reach_km`, `inside`: as `rank` has them)."""
        reach_km = self._reach_km(me) if reach_km is None else reach_km
        tau = reach_km * self.config.reach_decay
        # Within reach, nearer is still easier to work with; beyond it, reach decays fast.
        near = 1.0 - self.config.proximity * np.minimum(km / self.config.proximity_km, 1.0)
        reach = np.where(km <= reach_km, near, near * np.exp(-(km - reach_km) / tau))
        if me is not None:
            inside = self._inside_area(me) if inside is None else inside
            reach = reach * np.where(inside, 1.0, self.config.outside_area)
        return reach

    def _inside_area(self, me: Profile) -> np.ndarray:
        """Whether one side's area of operation (its gmina, its powiat, or all) holds the other."""
        layout = self.layout
        same = {"gmina": layout.gmina == me.gmina_teryt, "powiat": layout.powiat == me.powiat_teryt}
        theirs = np.ones(layout.n, bool)
        for scope, inside in same.items():
            theirs = np.where(layout.scope == scope, inside, theirs)
        return theirs | same.get(me.scope, True)

    def _closeness(self, km: float, reach_km: float) -> str:
        """How the distance counted: "near" (proximity lifted the score), "within" or "beyond" reach."""
        if km > reach_km:
            return "beyond"
        return "near" if km <= self.config.proximity_km * NEAR_SHARE else "within"

    def _suggestion(self, scored: _Scored, i: int) -> Suggestion:
        values, parts = scored.values, scored.parts
        rounded = {name: round(float(part[i]), 4) for name, part in parts.items()}
        rounded = {name: part for name, part in rounded.items() if part != 0.0}
        return Suggestion(
            self.index.profiles[self.layout.ids[i]],
            round(sum(rounded.values()), 4),
            rounded,
            {name: float(v[i]) for name, v in values.items()},
        )

    def _evidence(self, scored: _Scored, s: Suggestion) -> dict[str, Any]:
        """The unit pairs and facts behind a suggestion's parts."""
        query, st = scored.query, scored.strengths
        # Per institution: distance, reach radius, whether one side's area holds the other.
        km, reach_km, inside = scored.km, scored.reach_km, scored.inside
        other, me = s.profile, query.profile
        i = self.layout.position[other.external_id]
        # A profile counts in a unit's fit at the context share (or stands in for a missing unit
        # at its own discount): its evidence is worth that much.
        share = max(self.config.profile_context, self.config.profile_as_unit)
        evidence: dict[str, Any] = {}

        def pair_of(pair, texts: tuple[list[str], list[str]], mine_first: bool = True) -> dict | None:
            """Evidence of institution i's best unit pair; texts: (ours, theirs)."""
            if not pair or pair[0] <= 0:
                return None
            ours, theirs = texts[0][pair[1]], texts[1][pair[2]]
            need, offer = (ours, theirs) if mine_first else (theirs, ours)
            return _pair_evidence(need, offer, pair[3], pair[0])

        def by_profile(source: str, texts: list[str], weight: np.ndarray | None = None) -> dict | None:
            """Their profile meeting our strongest text (no offer named): what the context counted."""
            row = st.strength.get((source, "profile"))
            if row is None or not len(row):
                return None
            column = row[:, i] if weight is None else row[:, i] * weight
            r = int(column.argmax())
            if column[r] <= 0:
                return None
            similarity = float(st.dense[(source, "profile")][r, i])
            return _pair_evidence(texts[r], None, similarity, float(column[r]) * share)

        if me is not None:
            # Our needs as they counted: discounted where a need names another kind than theirs.
            needs = query.texts["need"]
            weight = _named_kind_factor(needs, self.layout.category[i : i + 1], self.config.named_kind)[:, 0]
            pair = self._best_pair(st, "need", "offer", i, weight)
            evidence["need_offer"] = pair_of(pair, (needs, other.offers))
            evidence["need_profile"] = by_profile("need", needs, weight)
            for found in (evidence["need_offer"], evidence["need_profile"]):
                kinds = named_kinds(found["need"]) if found and self.config.named_kind < 1 else None
                if kinds:
                    found["named_kind"] = {
                        "kinds": sorted(kinds),
                        "theirs": other.category,
                        "matches": other.category in kinds,
                    }
            if self.config.reciprocal:
                pair = self._best_pair(st, "offer", "need", i)
                evidence["offer_need"] = pair_of(pair, (query.texts["offer"], other.needs), mine_first=False)
                # Their need, met by what our profile says (in context, or standing in for offers).
                ours = self._best_pair(st, "profile", "need", i)
                if ours and ours[0] > 0:
                    need = other.needs[ours[2]]
                    evidence["profile_need"] = _pair_evidence(need, None, ours[3], ours[0] * share)
            evidence["sector"] = _sector_reason(me, other)
            if s.parts.get("competition", 0) < 0:
                pair = self._best_pair(st, "need", "need", i)
                evidence["competition"] = {
                    "our_need": query.texts["need"][pair[1]],
                    "their_need": other.needs[pair[2]],
                }
            evidence["audience"] = _audience_evidence(me, other, self.config.complementary_audience)
        else:
            pair = self._best_pair(st, "query", "offer", i)
            evidence["query_offer"] = pair_of(pair, (query.texts["query"], other.offers))
            evidence["query_profile"] = by_profile("query", query.texts["query"])
        evidence = {key: value for key, value in evidence.items() if value is not None}
        dense_profile = st.dense.get(("profile" if me is not None else "query", "profile"))
        evidence["profile_similarity"] = float(dense_profile[0, i]) if dense_profile is not None else 0.0
        if km is not None and reach_km is not None:
            evidence["reach"] = {
                "km": round(float(km[i]), 1),
                "reach_km": float(reach_km[i]),
                "closeness": self._closeness(float(km[i]), float(reach_km[i])),
                "their_scope": other.scope,
                "our_scope": me.scope if me else None,
                "same_powiat": bool(me and me.powiat_teryt == other.powiat_teryt),
                "inside_area": bool(inside[i]) if inside is not None else True,
            }
            if me is None and query.place is not None:
                evidence["reach"]["from_place"] = query.place.town
        return evidence

    def _best_pair(self, st: _Strengths, source: str, target: str, i: int, weight: np.ndarray | None = None):
        """(strength, our row, their unit position, dense similarity) of institution i's best pair.

        `weight`: a factor per row of ours that the pair's strength counts with.
        """
        span = self.layout.span[target].get(i)
        block = st.strength.get((source, target))
        if not span or block is None or not block.size:
            return None
        block = block[:, span[0] : span[1]]
        if weight is not None:
            block = block * weight[:, None]
        r, c = np.unravel_index(int(block.argmax()), block.shape)
        return float(block[r, c]), int(r), int(c), float(st.dense[(source, target)][r, span[0] + c])


def _audience_evidence(me: Profile, other: Profile, share: float) -> dict[str, list]:
    """Shared target groups and themes, and those of theirs that complement ours where they counted."""
    evidence: dict[str, list] = {}
    for name, ours, theirs, table in (
        ("target_groups", me.target_groups, other.target_groups, COMPLEMENTARY_GROUPS),
        ("themes", me.themes, other.themes, COMPLEMENTARY_THEMES),
    ):
        shared = [key for key in ours if key in theirs]
        evidence[name] = shared
        # Complements add only while the shared keys leave the smaller list short of full.
        if share > 0 and len(shared) < min(len(set(ours)), len(set(theirs))):
            evidence[f"complementary_{name}"] = [
                {"ours": a, "theirs": b, "why": term.key}
                for a, b, term in complementary_terms(ours, theirs, table)
            ]
    return evidence


def _affinity(masks: np.ndarray, mine: tuple[str, ...], terms: dict, table: dict, share: float) -> np.ndarray:
    """How much of the smaller of two audiences (or theme lists) the other shares or complements.

    Each shared key counts 1, each of theirs that complements one of ours (`table`) `share`.
    """
    ours = _bitmask([mine], terms)[0]
    complements = _bitmask([tuple(complements_of(mine, table))], terms)[0] if share > 0 else 0
    shared = np.bitwise_count(masks & ours).astype(np.float32)
    extra = np.bitwise_count(masks & complements).astype(np.float32)
    smaller = np.minimum(np.bitwise_count(masks), int(ours).bit_count()).astype(np.float32)
    return np.where(smaller > 0, np.minimum((shared + share * extra) / np.maximum(smaller, 1), 1.0), 0.0)


def _per_value(keys: np.ndarray, value_of) -> np.ndarray:
    """Map an array of keys through a function called once per distinct key."""
    distinct, inverse = np.unique(keys, return_inverse=True)
    return np.array([value_of(k) for k in distinct], dtype=np.float32)[inverse] if len(keys) else np.zeros(0)


def _sector_values(me: Profile, layout: Layout) -> np.ndarray:
    values = _per_value(layout.category, lambda c: 1.0 if complementarity(me.category, c) else 0.5)
    same = layout.category == me.category
    values[same] = np.where(layout.subtype[same] == me.subtype, -1.0, -0.5)
    return values


def _sector_reason(me: Profile, other: Profile) -> dict[str, Any]:
    term = complementarity(me.category, other.category)
    if me.category == other.category:
        relation = "same"
    else:
        relation = "complementary" if term is not None else "cross"
    return {
        "ours": me.category,
        "theirs": other.category,
        "relation": relation,
        "why": term.key if term else None,
    }


def _pair_evidence(need: str, offer: str | None, similarity: float | None, strength: float) -> dict:
    return {
        "need": need,
        "offer": offer,
        "similarity": None if similarity is None else round(float(similarity), 3),
        "strength": round(float(strength), 3),
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
        last = chosen[-1]
        floor = last.score * config.undervalued_floor if last.score > 0 else last.score
        taken = {id(s) for s in chosen}
        held = Counter(s.profile.category for s in chosen)

        def has_room(s: Suggestion) -> bool:
            """Taking the last slot must not push the newcomer's sector over its quota."""
            return held[s.profile.category] - (last.profile.category == s.profile.category) < limit

        fair = next(
            (
                s
                for s in ranked
                if id(s) not in taken and _undervalued(s) and s.score >= floor and has_room(s)
            ),
            None,
        )
        if fair is not None:
            chosen[-1] = fair
    chosen.sort(key=lambda s: (-s.score, s.profile.external_id))
    return chosen


def _undervalued(s: Suggestion) -> bool:
    return is_undervalued(s.profile.category, s.profile.subtype)
