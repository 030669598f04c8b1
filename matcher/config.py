"""The ranking configuration: every weight and threshold in one object."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

_SWITCHES = {"reciprocal", "diversify", "english_gloss"}
PARTS = ("complement", "reciprocity", "profile", "sector", "reach", "audience", "competition")


@dataclass(frozen=True)
class Weights:
    """Weights of the named score parts; the score is their weighted sum.

    Each part value lies in [0, 1] (`sector` in [-1, 1]; `competition` is a penalty
    in [0, 1] subtracted with its weight), so the weights read as the most a part can add.
    """

    complement: float = 1.0
    reciprocity: float = 0.35
    profile: float = 0.1
    sector: float = 0.2
    reach: float = 1.0
    audience: float = 0.15
    competition: float = 0.35

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class RankingConfig:
    """Everything that shapes a ranking; defaults are the tuned production values."""

    weights: Weights = field(default_factory=Weights)
    # Share of the lexical signal in a unit pair's similarity (0 = dense only, 1 = lexical only).
    lexical_share: float = 0.3
    # Share of soft term matching (each of our words against their closest word) in the
    # need<->offer and text->offer similarities, and the word cosine from which a pair counts.
    term_share: float = 0.3
    term_sharpen: float = 0.85
    # How close two words of one synonym set of the domain thesaurus count in soft term
    # matching, whatever their vectors say (0 turns the thesaurus off).
    term_synonym: float = 1.0
    # Read a search in English with the Polish words of a domain dictionary (`matcher.gloss`)
    # in the word views; False leaves it to the multilingual encoder alone.
    english_gloss: bool = True
    # A unit pair counts as a match from this z-score (against all units of the kind) up,
    # and fully from z_full up.
    z_floor: float = 1.0
    z_full: float = 5.0
    # Share of the other side's profile in a unit pair's fit (context for short texts).
    profile_context: float = 0.5
    # A profile stands in for an offer or need at this discount.
    profile_as_unit: float = 0.3
    # Each of our needs is rescaled by its best fit, but never by less than this
    # (1 turns the rescaling off).
    need_scale_floor: float = 0.7
    # A need that names a kind of institution ("Firmy budowlane…", "Szkoły…", `matcher.kinds`)
    # is met by institutions of other kinds at this share of their fit (1 turns it off).
    named_kind: float = 0.5
    # Weight of the second-best matched unit in a direction's score.
    second_best: float = 0.3
    # How the two directions combine into `complement`: a power mean (1 mean, -1 harmonic
    # as in RECON, inf the better direction); `reciprocity` adds the weaker one on top.
    direction_power: float = 2.0
    # Use both need<->offer directions; False keeps only "their offers meet our needs".
    reciprocal: bool = True
    # FAISS candidates per query unit.
    candidates_per_unit: int = 100
    # At most this many results of one sector per 10 (unless filtered to one sector).
    sector_quota: int = 4
    diversify: bool = True
    # An undervalued kind gets the last slot when within this share of the k-th score.
    undervalued_floor: float = 0.8
    # Reach radius in km by area of operation.
    radius_km: dict[str, float] = field(
        default_factory=lambda: {"gmina": 15.0, "powiat": 35.0, "region": 200.0, "national": 1000.0}
    )
    # Beyond its radius, reach decays with this share of the radius as the e-folding distance.
    reach_decay: float = 0.5
    # Reach also falls linearly with distance, by up to this share at proximity_km and beyond
    # (regular cooperation needs people to travel; a regional body 80 km away is reachable,
    # one 10 km away is easier).
    proximity: float = 0.3
    proximity_km: float = 100.0
    # Reach is multiplied by this when neither side's area of operation covers the other:
    # a gmina- or powiat-level body serves its own gmina or powiat, whatever the distance
    # (a powiat counselling centre 20 km away across the border does not take the case).
    outside_area: float = 0.95
    # A target group or theme of theirs that complements one of ours (seniors and children,
    # heritage and tourism: `typology.COMPLEMENTARY_GROUPS`) counts this share of a shared one
    # in the audience part (0 counts shared ones only).
    complementary_audience: float = 0.25
    max_k: int = 100

    def with_weights(self, **changes: float) -> RankingConfig:
        """A copy with some weights changed."""
        return replace(self, weights=replace(self.weights, **changes))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RankingConfig:
        """The defaults with the given overrides, e.g. `{"weights": {"reach": 0.8}}`.

        Raises:
            ValueError: an unknown setting or weight, or a value of the wrong type.
        """
        data = dict(data)
        weights = data.pop("weights", {}) or {}
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(data) - set(known)) + sorted(set(weights) - set(PARTS))
        if unknown:
            raise ValueError(f"unknown ranking settings: {', '.join(unknown)}")
        for name, value in [*data.items(), *weights.items()]:
            expected = bool if name in _SWITCHES else dict if name == "radius_km" else (int, float)
            if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
                raise ValueError(f"ranking setting {name!r} has a value of the wrong type: {value!r}")
        return replace(DEFAULT_CONFIG.with_weights(**weights), **data)

    @classmethod
    def load(cls, path: str | Path) -> RankingConfig:
        """Read overrides from a JSON file (as written by `matcher tune`)."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


DEFAULT_CONFIG = RankingConfig()
