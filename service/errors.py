"""One JSON error shape for every error the service returns."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from embeddings import EncoderError
from matcher.index import IndexMismatch, IndexMissing
from matcher.jsontext import JSONRejected
from matcher.matching import BadRequest
from matcher.registry import ImportRejected, NotFound


class APIError(Exception):
    """An error with an HTTP status, a machine code, a message and field errors."""

    def __init__(
        self, status: int, code: str, message: str, fields: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []


def not_found(err: NotFound, path_id: str | None = None) -> APIError:
    """A 404 naming the field at fault: the path's `external_id`, else (given the path's id, and
    the unknown id is another) the `partner` in the request."""
    field = "partner" if path_id is not None and err.external_id != path_id else "external_id"
    return APIError(404, "not_found", str(err), [{"field": field, "message": str(err)}])


def error_response(status: int, code: str, message: str, fields: list | None = None):
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify({"error": body}), status


def init_app(app: Flask) -> None:
    """Map domain and HTTP errors to the JSON error shape."""

    @app.before_request
    def _unstorable_url():
        # A NUL in an id or a query parameter can match nothing stored (PostgreSQL refuses
        # it in text outright): refused here, before any query is sent.
        if "\x00" in request.path:
            return error_response(404, "not_found", "No resource has this path (it holds a NUL character).")
        for name, value in request.args.items(multi=True):
            if "\x00" in name or "\x00" in value:
                message = "Query parameters cannot hold a NUL character."
                return error_response(400, "bad_request", message, [{"field": name, "message": message}])
        return None

    @app.errorhandler(APIError)
    def _api(err: APIError):
        return error_response(err.status, err.code, err.message, err.fields)

    @app.errorhandler(NotFound)
    def _not_found(err: NotFound):
        return _api(not_found(err))

    @app.errorhandler(ImportRejected)
    def _rejected(err: ImportRejected):
        return error_response(422, "validation_error", "The fiszki failed validation.", err.errors)

    @app.errorhandler(BadRequest)
    def _bad(err: BadRequest):
        return error_response(422, "validation_error", str(err), [{"field": err.field, "message": str(err)}])

    @app.errorhandler(JSONRejected)
    def _unreadable(err: JSONRejected):
        fields = [{"field": err.field, "message": err.message}]
        if err.too_deep:
            return error_response(400, "bad_request", err.message, fields)
        return error_response(422, "validation_error", "The request failed validation.", fields)

    @app.errorhandler(IndexMissing)
    def _missing(err: IndexMissing):
        return error_response(503, "index_missing", str(err))

    @app.errorhandler(IndexMismatch)
    def _mismatch(err: IndexMismatch):
        return error_response(409, "index_mismatch", str(err))

    @app.errorhandler(EncoderError)
    def _encoder(err: EncoderError):
        return error_response(503, "encoder_unavailable", str(err))

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        code = (err.name or "error").lower().replace(" ", "_")
        return error_response(err.code or 500, code, err.description or err.name)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        app.logger.exception("unhandled error")
        return error_response(500, "internal_error", "An unexpected error occurred.")
