"""Admin: rebuild the index, see what is loaded; health; the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, request

from matcher.index import IndexMismatch, IndexMissing, build_index, index_status
from service.auth import admin_required
from service.openapi import build_spec
from service.state import db_session, resources

bp = Blueprint("admin", __name__)


@bp.post("/admin/reindex")
@admin_required
def reindex():
    res = resources()
    from_stored = request.args.get("from_stored", "false").lower() in ("1", "true", "yes")
    index = build_index(db_session(), res.encoder, res.index_dir, from_stored_only=from_stored)
    res.live.put(index)
    return index.manifest, 200


@bp.get("/admin/index")
def status():
    res = resources()
    try:
        loaded = res.live.get()
    except (IndexMissing, IndexMismatch) as exc:
        return {"loaded": None, "stale": True, "problem": str(exc)}, 200
    return index_status(db_session(), loaded), 200


@bp.get("/health")
def health():
    return {"status": "ok"}, 200


@bp.get("/openapi.json")
def openapi():
    """The API as an OpenAPI 3 document, for generating portal clients."""
    return build_spec(), 200
