"""POST /match: ranked, explained partner suggestions."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from matcher import feedback
from matcher.matching import MatchRequest, assess_partner, find_partners, present, present_standing
from matcher.registry import NotFound, contacts
from service.auth import reveal_contacts
from service.errors import APIError, not_found
from service.schemas import MatchIn, contact_of, load, match_request
from service.state import db_session, resources

bp = Blueprint("match", __name__)


@bp.post("/match")
def match():
    data = load(MatchIn(), request.get_json(silent=True))
    req = match_request(data, current_app.config)
    try:
        return run_match(req, data.get("lang"), voice="third")
    except NotFound as exc:  # the body's `institution` names no card
        raise APIError(404, "not_found", str(exc), [{"field": "institution", "message": str(exc)}]) from None


def run_match(req: MatchRequest, lang: str | None, voice: str) -> dict:
    """Answer a match request with suggestions and what index answered it.

    Without `lang`, explanations are in Polish, or in English for a search written in English.
    """
    res = resources()
    index = res.live.get()
    # Partners the institution's staff marked as not relevant are not suggested again.
    req = feedback.without_dismissed(db_session(), req)
    query, suggestions = find_partners(db_session(), index, res.encoder, req, res.ranking)
    lang = lang or ("pl" if query.polish else "en")
    answer = {
        "k": req.k,
        "results": _with_contacts([present(query, s, lang=lang, voice=voice) for s in suggestions]),
        "index": _index_of(index.manifest),
    }
    if query.place is not None:
        answer["place"] = query.place.location()
    if query.respelt is not None:
        answer["respelt"] = query.respelt
    if query.gloss is not None:
        answer["gloss"] = query.gloss
    return answer


def assess(req: MatchRequest, partner: str, lang: str | None) -> dict:
    """One institution's standing among an institution's suggestions, addressed to its staff."""
    res = resources()
    index = res.live.get()
    req = feedback.without_dismissed(db_session(), req)
    try:
        query, standing = assess_partner(db_session(), index, res.encoder, req, partner, res.ranking)
    except NotFound as exc:
        raise not_found(exc, req.institution) from None
    answer = _with_contacts([present_standing(query, standing, req.k, lang=lang or "pl", voice="second")])[0]
    return {**answer, "index": _index_of(index.manifest)}


def _index_of(manifest: dict) -> dict:
    """Which index answered: its generation, encoder, build time and size."""
    return {
        "generation": manifest["generation"],
        "encoder": manifest["encoder_id"],
        "built_at": manifest["built_at"],
        "institutions": manifest["institutions"],
    }


def _with_contacts(results: list[dict]) -> list[dict]:
    """Add each partner's contact: the website for anyone, persons only for allowed callers.

    A suggestion is only useful when staff can reach the partner; the personal fields follow
    the same rule as on the cards, and showing them is audited.
    """
    stored = contacts(db_session(), (r["institution"]["external_id"] for r in results))
    personal = reveal_contacts(stored)
    for r in results:
        record = stored.get(r["institution"]["external_id"])
        if record is not None:
            r["institution"]["contact"] = contact_of(record, personal)
    return results
