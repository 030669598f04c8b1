"""Reasons from score parts, and their wording in Polish or English.

A reason exists only when the part behind it added to (or, for competition, took
from) the score, so an explanation never claims something that did not count.
"""

from __future__ import annotations

from typing import Any

from matcher.ranking import Suggestion
from matcher.typology import CATEGORIES, COMPLEMENTARY, SCOPES, TARGET_GROUPS, THEMES, label

_ORDER = (
    "their_offer_meets_our_need",
    "our_offer_meets_their_need",
    "their_offer_meets_query",
    "two_way",
    "sector",
    "reach",
    "audience",
    "similar_profile",
    "competition",
)

# A unit pair weaker than this is not worth a sentence of its own.
MIN_EVIDENCE = 0.1


def reasons(suggestion: Suggestion) -> list[dict[str, Any]]:
    """Structured reasons, one per score part that counted, strongest first."""
    parts, ev = suggestion.parts, suggestion.evidence
    out: list[dict[str, Any]] = []
    if parts.get("complement", 0) > 0:
        for key, kind in (
            ("need_offer", "their_offer_meets_our_need"),
            ("offer_need", "our_offer_meets_their_need"),
            ("query_offer", "their_offer_meets_query"),
        ):
            if key in ev and ev[key]["strength"] >= MIN_EVIDENCE:
                out.append({"type": kind, "part": "complement", **ev[key]})
    if parts.get("reciprocity", 0) > 0:
        out.append({"type": "two_way", "part": "reciprocity"})
    if parts.get("sector", 0) != 0 and "sector" in ev:
        out.append({"type": "sector", "part": "sector", **ev["sector"]})
    if parts.get("reach", 0) > 0 and "reach" in ev:
        out.append({"type": "reach", "part": "reach", **ev["reach"]})
    if parts.get("audience", 0) > 0:
        out.append({"type": "audience", "part": "audience", **ev["audience"]})
    if parts.get("profile", 0) > 0:
        out.append(
            {
                "type": "similar_profile",
                "part": "profile",
                "similarity": round(ev.get("profile_similarity", 0.0), 3),
            }
        )
    if parts.get("competition", 0) < 0 and "competition" in ev:
        out.append({"type": "competition", "part": "competition", **ev["competition"]})
    # A fixed reading order: what each side gets first, then why this partner, then caveats.
    out.sort(key=lambda r: _ORDER.index(r["type"]))
    return out


def render(
    rows: list[dict[str, Any]],
    suggestion: Suggestion,
    lang: str = "pl",
    voice: str = "third",
    asker: str | None = None,
) -> str:
    """Word structured reasons as one short paragraph.

    Args:
        rows: reasons from `reasons`.
        suggestion: the suggestion they explain.
        lang: "pl" or "en".
        voice: "third" names the asking institution; "second" addresses its staff.
        asker: the asking institution's name (third voice).
    """
    phrases = _Polish if lang == "pl" else _English
    words = phrases(suggestion.profile.name, asker, voice == "second")
    sentences = [getattr(words, row["type"])(row) for row in rows]
    return " ".join(s for s in sentences if s) or words.nothing()


def _sim(row: dict) -> str:
    return f"{row['similarity']:.2f}" if row.get("similarity") is not None else "-"


def _why(row: dict, lang: str) -> str:
    term = next((t for t in COMPLEMENTARY.values() if t.key == row.get("why")), None)
    return (term.pl if lang == "pl" else term.en) if term else ""


def _labels(keys: list[str], terms, lang: str) -> str:
    return ", ".join(label(terms, k, lang) for k in keys)


class _Polish:
    """Polish wording; `second` addresses the asking institution's staff."""

    lang = "pl"

    def __init__(self, theirs: str, asker: str | None, second: bool) -> None:
        self.theirs, self.second = theirs, second
        self.asker = asker or "pytającej instytucji"

    def nothing(self) -> str:
        return "Brak mocnych powodów poza ogólnym dopasowaniem."

    def their_offer_meets_our_need(self, r: dict) -> str:
        need = (
            f"Waszej potrzebie «{r['need']}»"
            if self.second
            else (f"Potrzebie instytucji {self.asker} «{r['need']}»")
        )
        if r.get("offer"):
            return f"{need} odpowiada oferta {self.theirs}: «{r['offer']}» (podobieństwo {_sim(r)})."
        return f"{need} odpowiada profil działalności {self.theirs}."

    def our_offer_meets_their_need(self, r: dict) -> str:
        start = f"W drugą stronę: {self.theirs} szuka «{r['need']}»"
        if not r.get("offer"):
            whose = "Waszej instytucji" if self.second else self.asker
            return f"{start}, czemu odpowiada profil działalności {whose}."
        who = "Wy oferujecie" if self.second else f"{self.asker} oferuje"
        return f"{start}, a {who} «{r['offer']}» (podobieństwo {_sim(r)})."

    def their_offer_meets_query(self, r: dict) -> str:
        if r.get("offer"):
            return f"Wyszukiwaniu odpowiada oferta «{r['offer']}» (podobieństwo {_sim(r)})."
        return "Wyszukiwaniu odpowiada profil działalności tej instytucji."

    def two_way(self, r: dict) -> str:
        return "Korzyść byłaby obustronna."

    def sector(self, r: dict) -> str:
        ours, theirs = label(CATEGORIES, r["ours"], "pl"), label(CATEGORIES, r["theirs"], "pl")
        if r["relation"] == "same":
            return f"Ten sam sektor ({theirs}) - raczej podobna instytucja niż uzupełniający partner."
        why = _why(r, "pl")
        return f"Współpraca międzysektorowa ({ours} i {theirs})" + (f": {why}." if why else ".")

    def reach(self, r: dict) -> str:
        where = f"Odległość {r['km']:.0f} km" + (", ten sam powiat" if r.get("same_powiat") else "")
        return f"{where}; obszar działania partnera: {label(SCOPES, r['their_scope'], 'pl')}."

    def audience(self, r: dict) -> str:
        parts = []
        if r["target_groups"]:
            parts.append("wspólni odbiorcy: " + _labels(r["target_groups"], TARGET_GROUPS, "pl"))
        if r["themes"]:
            parts.append("wspólne tematy: " + _labels(r["themes"], THEMES, "pl"))
        return "; ".join(parts).capitalize() + "." if parts else ""

    def similar_profile(self, r: dict) -> str:
        return f"Zbliżony profil działalności (podobieństwo {_sim(r)})."

    def competition(self, r: dict) -> str:
        return f"Uwaga: obie strony szukają podobnego wsparcia («{r['their_need']}»), co obniża ocenę."


class _English(_Polish):
    """English wording."""

    lang = "en"

    def __init__(self, theirs: str, asker: str | None, second: bool) -> None:
        super().__init__(theirs, asker, second)
        self.asker = asker or "the asking institution"

    def nothing(self) -> str:
        return "No strong reason beyond a general fit."

    def their_offer_meets_our_need(self, r: dict) -> str:
        need = f"Your need «{r['need']}»" if self.second else f"The need of {self.asker} «{r['need']}»"
        if r.get("offer"):
            return f"{need} is met by {self.theirs}'s offer «{r['offer']}» (similarity {_sim(r)})."
        return f"{need} is met by what {self.theirs} does."

    def our_offer_meets_their_need(self, r: dict) -> str:
        start = f"The other way round: {self.theirs} is looking for «{r['need']}»"
        if not r.get("offer"):
            whose = "your" if self.second else f"{self.asker}'s"
            return f"{start}, which {whose} profile covers."
        who = "you offer" if self.second else f"{self.asker} offers"
        return f"{start}, and {who} «{r['offer']}» (similarity {_sim(r)})."

    def their_offer_meets_query(self, r: dict) -> str:
        if r.get("offer"):
            return f"The search matches the offer «{r['offer']}» (similarity {_sim(r)})."
        return "The search matches what this institution does."

    def two_way(self, r: dict) -> str:
        return "Both sides would gain."

    def sector(self, r: dict) -> str:
        ours, theirs = label(CATEGORIES, r["ours"], "en"), label(CATEGORIES, r["theirs"], "en")
        if r["relation"] == "same":
            return f"Same sector ({theirs}): more a peer than a complementary partner."
        why = _why(r, "en")
        return f"Cross-sector cooperation ({ours} and {theirs})" + (f": {why}." if why else ".")

    def reach(self, r: dict) -> str:
        where = f"{r['km']:.0f} km away" + (", same county" if r.get("same_powiat") else "")
        return f"{where}; the partner's area of operation: {label(SCOPES, r['their_scope'], 'en')}."

    def audience(self, r: dict) -> str:
        parts = []
        if r["target_groups"]:
            parts.append("shared audiences: " + _labels(r["target_groups"], TARGET_GROUPS, "en"))
        if r["themes"]:
            parts.append("shared themes: " + _labels(r["themes"], THEMES, "en"))
        return "; ".join(parts).capitalize() + "." if parts else ""

    def similar_profile(self, r: dict) -> str:
        return f"A similar profile of activity (similarity {_sim(r)})."

    def competition(self, r: dict) -> str:
        return f"Caution: both sides look for similar support («{r['their_need']}»), which lowers the score."
