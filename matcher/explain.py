"""Reasons from score parts, and their wording in Polish or English.

A reason exists only when the part behind it added to (or, for competition, took
from) the score, so an explanation never claims something that did not count.
"""

from __future__ import annotations

from typing import Any

from matcher.ranking import Standing, Suggestion
from matcher.typology import (
    CATEGORIES,
    COMPLEMENTARY,
    COMPLEMENTARY_GROUPS,
    COMPLEMENTARY_THEMES,
    SCOPES,
    TARGET_GROUPS,
    THEMES,
    label,
)

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
MIN_EVIDENCE = 0.35


def reasons(suggestion: Suggestion) -> list[dict[str, Any]]:
    """Structured reasons, one per score part that counted, in a fixed reading order."""
    parts, ev = suggestion.parts, suggestion.evidence
    out: list[dict[str, Any]] = []
    if parts.get("complement", 0) > 0:
        # The unit pair when it is strong enough, being the most specific; else the profile, when
        # the fit came from what the whole card says (the context of a unit's fit).
        for keys, kind in (
            (("need_offer", "need_profile"), "their_offer_meets_our_need"),
            (("offer_need", "profile_need"), "our_offer_meets_their_need"),
            (("query_offer", "query_profile"), "their_offer_meets_query"),
        ):
            strong = [ev[key] for key in keys if key in ev and ev[key]["strength"] >= MIN_EVIDENCE]
            if strong:
                out.append({"type": kind, "part": "complement", **strong[0]})
    shown = {r["type"] for r in out}
    both_ways = {"their_offer_meets_our_need", "our_offer_meets_their_need"} <= shown
    if parts.get("reciprocity", 0) > 0 and both_ways:
        out.append({"type": "two_way", "part": "reciprocity"})
    if parts.get("sector", 0) != 0 and "sector" in ev:
        out.append({"type": "sector", "part": "sector", **ev["sector"]})
    if parts.get("reach", 0) > 0 and "reach" in ev:
        out.append({"type": "reach", "part": "reach", **ev["reach"]})
    if parts.get("audience", 0) > 0:
        out.append({"type": "audience", "part": "audience", **ev["audience"]})
    # A search met by the profile already says how close the profile is (the same similarity).
    said = any(r["type"] == "their_offer_meets_query" and not r.get("offer") for r in out)
    if parts.get("profile", 0) > 0 and not said:
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
    words = _Wording(lang, suggestion.profile.name, asker, voice == "second")
    sentences = [getattr(words, row["type"])(row) for row in rows]
    return " ".join(s for s in sentences if s) or words.say("nothing")


def render_standing(standing: Standing, k: int, lang: str = "pl", voice: str = "third") -> str:
    """One sentence on where a partner stands in the asker's suggestions, and why."""
    words = _Wording(lang, standing.suggestion.profile.name, None, voice == "second")
    if standing.status == "suggested":
        return words.say("standing.suggested", position=standing.position, k=k)
    if standing.status != "ranked":
        return words.voiced(f"standing.{standing.status}")
    last = standing.last_score
    if last is not None and standing.suggestion.score > last:
        # As good as the last listed, yet left out: the sector quota or the fair slot chose.
        return words.say("standing.held_back", position=standing.position, k=k)
    return words.say(
        "standing.ranked",
        position=standing.position,
        k=k,
        score=standing.suggestion.score,
        last=f" ({words.say('standing.last', last=last)})" if last is not None else "",
    )


def _sim(row: dict) -> str:
    return f"{row['similarity']:.2f}" if row.get("similarity") is not None else "-"


def _why(row: dict, lang: str) -> str:
    term = next((t for t in COMPLEMENTARY.values() if t.key == row.get("why")), None)
    return (term.pl if lang == "pl" else term.en) if term else ""


def _labels(keys: list[str], terms, lang: str) -> str:
    return ", ".join(label(terms, k, lang) for k in keys)


# Templates per language; `.second` variants address the asking institution's staff,
# `.third` ones name it (for portals).
_TEMPLATES: dict[str, dict[str, str]] = {
    "pl": {
        "nothing": "Brak mocnych powodów poza ogólnym dopasowaniem.",
        "asker": "pytającej instytucji",
        "our_need.second": "Waszej potrzebie «{need}»",
        "our_need.third": "Potrzebie instytucji {asker} «{need}»",
        "met_by_offer": "{our_need} odpowiada oferta {theirs}: «{offer}» (podobieństwo {sim}).",
        "met_by_profile": "{our_need} odpowiada profil działalności {theirs} (podobieństwo {sim}).",
        "kind.named": " Ta potrzeba wprost wskazuje taki rodzaj partnera ({kinds}).",
        "kind.other": " Ta potrzeba wskazuje inny rodzaj partnera ({kinds}), co obniża ocenę.",
        "their_need": "W drugą stronę: {theirs} szuka «{need}»",
        "ours_by_offer.second": "{their_need}, a Wy oferujecie «{offer}» (podobieństwo {sim}).",
        "ours_by_offer.third": "{their_need}, a {asker} oferuje «{offer}» (podobieństwo {sim}).",
        "ours_by_profile.second": (
            "{their_need}, czemu odpowiada profil działalności Waszej instytucji (podobieństwo {sim})."
        ),
        "ours_by_profile.third": (
            "{their_need}, czemu odpowiada profil działalności {asker} (podobieństwo {sim})."
        ),
        "query_by_offer": "Wyszukiwaniu odpowiada oferta «{offer}» (podobieństwo {sim}).",
        "query_by_profile": "Wyszukiwaniu odpowiada profil działalności tej instytucji (podobieństwo {sim}).",
        "two_way": "Korzyść byłaby obustronna.",
        "sector.same": "Ten sam sektor ({theirs}) - raczej podobna instytucja niż uzupełniający partner.",
        "sector.cross": "Współpraca międzysektorowa ({ours} i {theirs}){why}.",
        "reach.near": "Blisko: {km:.0f} km{same_powiat}; obszar działania partnera: {scope}.",
        "reach.within": "W zasięgu: {km:.0f} km{same_powiat}; obszar działania partnera: {scope}.",
        "reach.beyond": (
            "Poza zwykłym zasięgiem obu stron: {km:.0f} km (obszar działania partnera: {scope}), "
            "co obniża ocenę."
        ),
        "outside_area": (
            " Żadna ze stron nie działa na terenie drugiej (gmina lub powiat), co nieco obniża ocenę."
        ),
        "from_place": " Odległość liczona od miejsca z wyszukiwania: {town}.",
        "same_powiat": ", ten sam powiat",
        "groups": "wspólni odbiorcy: {labels}",
        "themes": "wspólne tematy: {labels}",
        "complementary_target_groups": "uzupełniający się odbiorcy: {ours} i {partners} u partnera ({why})",
        "complementary_themes": "uzupełniające się tematy: {ours} i {partners} u partnera ({why})",
        "similar_profile": "Zbliżony profil działalności (podobieństwo {sim}).",
        "competition": "Uwaga: obie strony szukają podobnego wsparcia («{need}»), co obniża ocenę.",
        "standing.suggested": "{theirs}: {position}. miejsce na liście {k} propozycji.",
        "standing.ranked": (
            "{theirs}: poza listą {k} propozycji; według wyniku ({score:.2f}) {position}. miejsce{last}."
        ),
        "standing.last": "ostatnia propozycja ma {last:.2f}",
        "standing.held_back": (
            "{theirs}: wynik wystarczający na listę {k} propozycji ({position}. miejsce według wyniku), "
            "ale pierwszeństwo dostali inni przez limit wyników z jednego sektora lub miejsce dla "
            "niedocenianego rodzaju partnera."
        ),
        "standing.existing_partner.second": (
            "{theirs}: już Wasz partner, dlatego nie ma tej instytucji wśród propozycji."
        ),
        "standing.existing_partner.third": (
            "{theirs}: już partner tej instytucji, dlatego nie ma jej wśród propozycji."
        ),
        "standing.excluded.second": (
            "{theirs}: oznaczone przez Was jako nietrafiona propozycja, dlatego pomijane."
        ),
        "standing.excluded.third": (
            "{theirs}: wyłączone z propozycji (np. oznaczone jako nietrafiona propozycja)."
        ),
        "standing.filtered.second": "{theirs}: nie spełnia filtrów zapytania.",
        "standing.filtered.third": "{theirs}: nie spełnia filtrów zapytania.",
    },
    "en": {
        "nothing": "No strong reason beyond a general fit.",
        "asker": "the asking institution",
        "our_need.second": "Your need «{need}»",
        "our_need.third": "The need of {asker} «{need}»",
        "met_by_offer": "{our_need} is met by {theirs}'s offer «{offer}» (similarity {sim}).",
        "met_by_profile": "{our_need} is met by what {theirs} does (similarity {sim}).",
        "kind.named": " This need names this kind of partner ({kinds}).",
        "kind.other": " This need names another kind of partner ({kinds}), which lowers the score.",
        "their_need": "The other way round: {theirs} is looking for «{need}»",
        "ours_by_offer.second": "{their_need}, and you offer «{offer}» (similarity {sim}).",
        "ours_by_offer.third": "{their_need}, and {asker} offers «{offer}» (similarity {sim}).",
        "ours_by_profile.second": "{their_need}, which your profile covers (similarity {sim}).",
        "ours_by_profile.third": "{their_need}, which the profile of {asker} covers (similarity {sim}).",
        "query_by_offer": "The search matches the offer «{offer}» (similarity {sim}).",
        "query_by_profile": "The search matches what this institution does (similarity {sim}).",
        "two_way": "Both sides would gain.",
        "sector.same": "Same sector ({theirs}): more a peer than a complementary partner.",
        "sector.cross": "Cross-sector cooperation ({ours} and {theirs}){why}.",
        "reach.near": "Nearby: {km:.0f} km{same_powiat}; the partner's area of operation: {scope}.",
        "reach.within": "Within reach: {km:.0f} km{same_powiat}; the partner's area of operation: {scope}.",
        "reach.beyond": (
            "Beyond both sides' usual reach: {km:.0f} km (the partner's area of operation: {scope}), "
            "which lowers the score."
        ),
        "outside_area": (
            " Neither side's area of operation (gmina or county) covers the other,"
            " which lowers the score slightly."
        ),
        "from_place": " Distance counted from the place named in the search: {town}.",
        "same_powiat": ", same county",
        "groups": "shared audiences: {labels}",
        "themes": "shared themes: {labels}",
        "complementary_target_groups": "complementary audiences: {ours} and the partner's {partners} ({why})",
        "complementary_themes": "complementary themes: {ours} and the partner's {partners} ({why})",
        "similar_profile": "A similar profile of activity (similarity {sim}).",
        "competition": "Caution: both sides look for similar support («{need}»), which lowers the score.",
        "standing.suggested": "{theirs}: number {position} of {k} suggestions.",
        "standing.ranked": (
            "{theirs} is not among the {k} suggestions: by its score ({score:.2f}) it is "
            "number {position}{last}."
        ),
        "standing.last": "the last suggestion scores {last:.2f}",
        "standing.held_back": (
            "{theirs} scores well enough for the {k} suggestions (rank {position} by score), but the "
            "limit of results from one sector or the slot for an undervalued partner kind went to others."
        ),
        "standing.existing_partner.second": "{theirs} is already your partner, so it is not suggested.",
        "standing.existing_partner.third": (
            "{theirs} is already a partner of this institution, so it is not suggested."
        ),
        "standing.excluded.second": "You marked {theirs} as not relevant, so it is not suggested.",
        "standing.excluded.third": "{theirs} is excluded from the suggestions (e.g. marked as not relevant).",
        "standing.filtered.second": "{theirs} does not pass the request's filters.",
        "standing.filtered.third": "{theirs} does not pass the request's filters.",
    },
}


class _Wording:
    """Sentences for each reason type in one language and voice."""

    def __init__(self, lang: str, theirs: str, asker: str | None, second: bool) -> None:
        self.lang, self.theirs, self.second = lang, theirs, second
        self.templates = _TEMPLATES[lang]
        self.asker = asker or self.templates["asker"]

    def say(self, key: str, **values: Any) -> str:
        return self.templates[key].format(theirs=self.theirs, asker=self.asker, **values)

    def voiced(self, key: str, **values: Any) -> str:
        return self.say(f"{key}.{'second' if self.second else 'third'}", **values)

    def their_offer_meets_our_need(self, r: dict) -> str:
        our_need = self.voiced("our_need", need=r["need"])
        if r.get("offer"):
            text = self.say("met_by_offer", our_need=our_need, offer=r["offer"], sim=_sim(r))
        else:
            text = self.say("met_by_profile", our_need=our_need, sim=_sim(r))
        named = r.get("named_kind")
        if named:
            if named["matches"]:
                text += self.say("kind.named", kinds=label(CATEGORIES, named["theirs"], self.lang))
            else:
                text += self.say("kind.other", kinds=_labels(named["kinds"], CATEGORIES, self.lang))
        return text

    def our_offer_meets_their_need(self, r: dict) -> str:
        their_need = self.say("their_need", need=r["need"])
        if r.get("offer"):
            return self.voiced("ours_by_offer", their_need=their_need, offer=r["offer"], sim=_sim(r))
        return self.voiced("ours_by_profile", their_need=their_need, sim=_sim(r))

    def their_offer_meets_query(self, r: dict) -> str:
        if r.get("offer"):
            return self.say("query_by_offer", offer=r["offer"], sim=_sim(r))
        return self.say("query_by_profile", sim=_sim(r))

    def two_way(self, r: dict) -> str:
        return self.say("two_way")

    def sector(self, r: dict) -> str:
        ours = label(CATEGORIES, r["ours"], self.lang)
        theirs = label(CATEGORIES, r["theirs"], self.lang)
        if r["relation"] == "same":
            return self.templates["sector.same"].format(theirs=theirs)
        why = _why(r, self.lang)
        return self.templates["sector.cross"].format(ours=ours, theirs=theirs, why=f": {why}" if why else "")

    def reach(self, r: dict) -> str:
        same = self.templates["same_powiat"] if r.get("same_powiat") else ""
        outside = "" if r.get("inside_area", True) else self.templates["outside_area"]
        sentence = self.say(
            f"reach.{r.get('closeness', 'within')}",
            km=r["km"],
            same_powiat=same,
            scope=label(SCOPES, r["their_scope"], self.lang),
        )
        origin = self.say("from_place", town=r["from_place"]) if r.get("from_place") else ""
        return sentence + outside + origin

    def audience(self, r: dict) -> str:
        parts = []
        if r["target_groups"]:
            parts.append(self.say("groups", labels=_labels(r["target_groups"], TARGET_GROUPS, self.lang)))
        if r["themes"]:
            parts.append(self.say("themes", labels=_labels(r["themes"], THEMES, self.lang)))
        for key, terms, table in (
            ("complementary_target_groups", TARGET_GROUPS, COMPLEMENTARY_GROUPS),
            ("complementary_themes", THEMES, COMPLEMENTARY_THEMES),
        ):
            # One clause per reason: "seniorzy u nas i dzieci, młodzież u partnera…".
            by_reason: dict[str, tuple[list[str], list[str]]] = {}
            for pair in r.get(key, ()):
                why = label(table, frozenset((pair["ours"], pair["theirs"])), self.lang)
                ours, theirs = by_reason.setdefault(why, ([], []))
                if pair["ours"] not in ours:
                    ours.append(pair["ours"])
                theirs.append(pair["theirs"])
            for why, (ours, theirs) in by_reason.items():
                parts.append(
                    self.say(
                        key,
                        ours=_labels(ours, terms, self.lang),
                        partners=_labels(theirs, terms, self.lang),
                        why=why,
                    )
                )
        text = "; ".join(parts)
        return text[:1].upper() + text[1:] + "." if text else ""

    def similar_profile(self, r: dict) -> str:
        return self.say("similar_profile", sim=_sim(r))

    def competition(self, r: dict) -> str:
        return self.say("competition", need=r["their_need"])
