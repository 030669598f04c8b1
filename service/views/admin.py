"""Admin: rebuild the index, see what is loaded, staff tokens; health; the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from matcher.access import describe, issue_token, list_tokens, revoke_token
from matcher.index import IndexMismatch, IndexMissing, index_status
from matcher.vector_store import VectorsMissing
from service.auth import acts_as_admin, admin_required
from service.errors import APIError
from service.openapi import build_spec
from service.schemas import ReindexArgsIn, TokenIn, load
from service.state import db_session, resources

bp = Blueprint("admin", __name__)


@bp.post("/admin/reindex")
@admin_required
def reindex():
    res = resources()
    from_stored = load(ReindexArgsIn(), request.args.to_dict())["from_stored"]
    try:
        index = res.refresher.build_now(db_session(), from_stored_only=from_stored)
    except VectorsMissing as exc:  # from_stored, and a text changed since its vector was stored
        db_session().rollback()
        message = f"{exc}; rebuild without from_stored to encode them."
        fields = [{"field": "from_stored", "message": message}]
        raise APIError(409, "vectors_missing", message, fields) from exc
    return index.manifest, 200


@bp.get("/admin/index")
def status():
    res = resources()
    try:
        loaded = res.live.get()
    except (IndexMissing, IndexMismatch) as exc:
        return {"loaded": None, "stale": True, "problem": str(exc), "refresh": _refresh(res)}, 200
    answer = index_status(db_session(), loaded)
    if not acts_as_admin():
        # The fingerprint hashes every card, personal contacts included: with the public card
        # and a guessed phone number anyone could test the guess offline. `stale` says enough.
        answer.pop("data_fingerprint")
        answer["loaded"] = {k: v for k, v in answer["loaded"].items() if k != "data_fingerprint"}
    return {**answer, "refresh": _refresh(res)}, 200


def _refresh(res) -> dict:
    """Whether the index follows writes by itself, and how its last background build went."""
    return {"auto": bool(current_app.config.get("AUTO_REINDEX")), **res.refresher.status()}


@bp.post("/admin/institutions/<external_id>/tokens")
@admin_required
def issue(external_id: str):
    """Issue a staff token for an institution; the answer is the only place the token appears."""
    data = load(TokenIn(), request.get_json(silent=True) or {})
    row, token = issue_token(db_session(), external_id, data["label"].strip() or "staff", data["days"])
    return {**describe(row), "token": token}, 201


@bp.get("/admin/institutions/<external_id>/tokens")
@admin_required
def tokens(external_id: str):
    return {"items": [describe(row) for row in list_tokens(db_session(), external_id)]}, 200


@bp.delete("/admin/tokens/<int:token_id>")
@admin_required
def revoke(token_id: int):
    row = revoke_token(db_session(), token_id)
    if row is None:
        raise APIError(
            404,
            "not_found",
            f"No staff token {token_id}.",
            [{"field": "token_id", "message": "Unknown token."}],
        )
    return describe(row), 200


@bp.get("/health")
def health():
    return {"status": "ok"}, 200


@bp.get("/openapi.json")
def openapi():
    """The API as an OpenAPI 3 document, for generating portal clients."""
    return build_spec(), 200
