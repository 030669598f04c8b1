"""POST /match: ranked, explained partner suggestions."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from matcher import feedback
from matcher.matching import MatchRequest, find_partners, present
from matcher.registry import contacts
from service.auth import reveal_contacts
from service.schemas import MatchIn, contact_of, load, match_request
from service.state import db_session, resources

bp = Blueprint("match", __name__)


@bp.post("/match")
def match():
    data = load(MatchIn(), request.get_json(silent=True))
    req = match_request(data, current_app.config)
    return run_match(req, data["lang"], voice="third")


def run_match(req: MatchRequest, lang: str, voice: str) -> dict:
    """Answer a match request with suggestions and what index answered it."""
    res = resources()
    index = res.live.get()
    # Partners the institution's staff marked as not relevant are not suggested again.
    req = feedback.without_dismissed(db_session(), req)
    query, suggestions = find_partners(db_session(), index, res.encoder, req, res.ranking)
    manifest = index.manifest
    answer = {
        "k": req.k,
        "results": _with_contacts([present(query, s, lang=lang, voice=voice) for s in suggestions]),
        "index": {
            "generation": manifest["generation"],
            "encoder": manifest["encoder_id"],
            "built_at": manifest["built_at"],
            "institutions": manifest["institutions"],
        },
    }
    if query.place is not None:
        answer["place"] = query.place.location()
    return answer


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
