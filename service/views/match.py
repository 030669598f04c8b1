"""POST /match: ranked, explained partner suggestions."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from matcher.matching import MatchRequest, find_partners, present
from service.schemas import MatchIn, load, match_request
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
    query, suggestions = find_partners(db_session(), index, res.encoder, req, res.ranking)
    manifest = index.manifest
    answer = {
        "k": req.k,
        "results": [present(query, s, lang=lang, voice=voice) for s in suggestions],
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
