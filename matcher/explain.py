"""Reasons from score parts, and their wording in Polish or English.

A reason exists only when the part behind it added to (or, for competition, took
from) the score, so an explanation never claims something that did not count.
"""

from __future__ import annotations

from typing import Any

from matcher.ranking import Suggestion
from matcher.typology import CATEGORIES, COMPLEMENTARY, SCOPES, TARGET_GROUPS, THEMES, label

LANGS = ("pl", "en")
VOICES = ("third", "second")


def reasons(suggestion: Suggestion) -> list[dict[str, Any]]:
    """Structured reasons, one per score part that counted, strongest first."""
    parts, ev = suggestion.parts, suggestion.evidence
    out: list[dict[str, Any]] = []
    if parts.get("complement", 0) > 0:
        for key, kind in (("need_offer", "their_offer_meets_our_need"),
                          ("offer_need", "our_offer_meets_their_need"),
                          ("query_offer", "their_offer_meets_query")):
            if key in ev and ev[key]["strength"] > 0:
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
        out.append({"type": "similar_profile", "part": "profile",
                    "similarity": round(ev.get("profile_similarity", 0.0), 3)})
    if parts.get("competition", 0) < 0 and "competition" in ev:
        out.append({"type": "competition", "part": "competition", **ev["competition"]})
    order = {name: i for i, name in enumerate(
        sorted(parts, key=lambda n: -abs(parts[n])))}
    out.sort(key=lambda r: order.get(r["part"], 99))
    return out


def render(rows: list[dict[str, Any]], suggestion: Suggestion, lang: str = "pl",
           voice: str = "third", asker: str | None = None) -> str:
    """Word structured reasons as one short paragraph.

    Args:
        rows: reasons from `reasons`.
        suggestion: the suggestion they explain.
        lang: "pl" or "en".
        voice: "third" names the asking institution; "second" addresses its staff.
        asker: the asking institution's name (third voice).
    """
    words = _PL if lang == "pl" else _EN
    who = words["you"] if voice == "second" else (asker or words["query_side"])
    sentences = [words[row["type"]](row, who, suggestion, lang) for row in rows
                 if row["type"] in words]
    return " ".join(s for s in sentences if s) or words["none"]


def _sim(row: dict) -> str:
    return f"{row['similarity']:.2f}" if row.get("similarity") is not None else "-"


def _offer_or_profile(row: dict, lang: str) -> str:
    if row.get("offer"):
        return f"«{row['offer']}»"
    return "opis ich profilu" if lang == "pl" else "their profile description"


def _labels(keys: list[str], terms, lang: str) -> str:
    return ", ".join(label(terms, k, lang) for k in keys)


def _why(row: dict, lang: str) -> str:
    term = next((t for t in COMPLEMENTARY.values() if t.key == row.get("why")), None)
    return (term.pl if lang == "pl" else term.en) if term else ""


_PL: dict[str, Any] = {
    "you": "Wasza",
    "query_side": "pytająca instytucja",
    "none": "Podobny profil działalności.",
    "their_offer_meets_our_need": lambda r, who, s, lang: (
        f"Potrzebę {'Waszej instytucji' if who == 'Wasza' else who} «{r['need']}» odpowiada "
        f"oferta {s.profile.name}: {_offer_or_profile(r, lang)} (podobieństwo {_sim(r)})."),
    "our_offer_meets_their_need": lambda r, who, s, lang: (
        f"W drugą stronę: {s.profile.name} szuka «{r['need']}», a "
        f"{'Wy oferujecie' if who == 'Wasza' else who + ' oferuje'} "
        f"{('«' + r['offer'] + '»') if r.get('offer') else 'to, co opisuje profil'} "
        f"(podobieństwo {_sim(r)})."),
    "their_offer_meets_query": lambda r, who, s, lang: (
        f"Wyszukiwanie pasuje do oferty {_offer_or_profile(r, lang)} (podobieństwo {_sim(r)})."),
    "two_way": lambda r, who, s, lang: "Korzyść jest obustronna.",
    "sector": lambda r, who, s, lang: (
        f"Ten sam sektor ({label(CATEGORIES, r['theirs'])}): to raczej konkurent do tych samych zasobów."
        if r["relation"] == "same" else
        f"Współpraca międzysektorowa: {label(CATEGORIES, r['ours'])} i "
        f"{label(CATEGORIES, r['theirs'])}" + (f" - {_why(r, lang)}." if r.get("why") else ".")),
    "reach": lambda r, who, s, lang: (
        f"Odległość {r['km']:.0f} km" + (", ten sam powiat" if r.get("same_powiat") else "")
        + f"; zasięg działania: {label(SCOPES, r['their_scope'])}."),
    "audience": lambda r, who, s, lang: "Wspólni odbiorcy i tematy: " + ", ".join(
        filter(None, [_labels(r["target_groups"], TARGET_GROUPS, lang),
                      _labels(r["themes"], THEMES, lang)])) + ".",
    "similar_profile": lambda r, who, s, lang: f"Zbliżony profil działalności ({_sim(r)}).",
    "competition": lambda r, who, s, lang: (
        f"Uwaga: obie instytucje szukają podobnego ({'«' + r['their_need'] + '»'}), "
        "co obniża ocenę."),
}

_EN: dict[str, Any] = {
    "you": "your",
    "query_side": "the asking institution",
    "none": "A similar profile of activity.",
    "their_offer_meets_our_need": lambda r, who, s, lang: (
        f"{'Your' if who == 'your' else who + chr(39) + 's'} need «{r['need']}» is met by "
        f"{s.profile.name}'s offer {_offer_or_profile(r, lang)} (similarity {_sim(r)})."),
    "our_offer_meets_their_need": lambda r, who, s, lang: (
        f"The other way round: {s.profile.name} is looking for «{r['need']}», and "
        f"{'you offer' if who == 'your' else who + ' offers'} "
        f"{('«' + r['offer'] + '»') if r.get('offer') else 'what its profile describes'} "
        f"(similarity {_sim(r)})."),
    "their_offer_meets_query": lambda r, who, s, lang: (
        f"The search matches the offer {_offer_or_profile(r, lang)} (similarity {_sim(r)})."),
    "two_way": lambda r, who, s, lang: "Both sides gain.",
    "sector": lambda r, who, s, lang: (
        f"Same sector ({label(CATEGORIES, r['theirs'], 'en')}): more a competitor for the same "
        "resources." if r["relation"] == "same" else
        f"Cross-sector cooperation: {label(CATEGORIES, r['ours'], 'en')} and "
        f"{label(CATEGORIES, r['theirs'], 'en')}" + (f" - {_why(r, lang)}." if r.get("why") else ".")),
    "reach": lambda r, who, s, lang: (
        f"{r['km']:.0f} km away" + (", same county" if r.get("same_powiat") else "")
        + f"; area of operation: {label(SCOPES, r['their_scope'], 'en')}."),
    "audience": lambda r, who, s, lang: "Shared audiences and themes: " + ", ".join(
        filter(None, [_labels(r["target_groups"], TARGET_GROUPS, lang),
                      _labels(r["themes"], THEMES, lang)])) + ".",
    "similar_profile": lambda r, who, s, lang: f"A similar profile of activity ({_sim(r)}).",
    "competition": lambda r, who, s, lang: (
        f"Caution: both look for something similar («{r['their_need']}»), which lowers the score."),
}
