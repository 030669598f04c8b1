"""The HTTP API as an OpenAPI 3 document, built from the marshmallow schemas that validate requests.

Portal back ends generate their clients from it; `GET /openapi.json` serves it. Request
bodies come from the validating schemas themselves, so the document cannot drift from
what the service accepts; responses are described here, next to the operations.
"""

from __future__ import annotations

import functools
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields

from matcher.cards import CategoryField, FiszkaSchema, UnitField, UnitSchema
from matcher.jsontext import MAX_DEPTH
from matcher.typology import CATEGORIES, SCOPES, TARGET_GROUPS, THEMES
from service.schemas import (
    FeedbackIn,
    FiltersIn,
    ImportArgsIn,
    ListArgsIn,
    MatchIn,
    OneOrMany,
    ReindexArgsIn,
    SuggestionsArgsIn,
    TokenIn,
)

_STRING = {"type": "string"}
_OBJECT = {"type": "object", "additionalProperties": True}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string", "example": "validation_error"},
                "message": _STRING,
                "fields": {
                    "type": "array",
                    "description": "The fields at fault, as dotted paths (`filters.k`, `3.location.town`).",
                    "items": {"type": "object", "properties": {"field": _STRING, "message": _STRING}},
                },
            },
        }
    },
}

# Status -> what it means here; operations list the statuses they can return.
ERRORS = {
    400: f"The body is not JSON, not a JSON object, or nested deeper than {MAX_DEPTH} levels.",
    401: "The admin token is configured and the request does not carry it.",
    404: "No institution with this external_id.",
    409: (
        "A conflict: the id exists or differs from the path, the index was built with another encoder, "
        "or a rebuild from stored vectors meets a text that has none."
    ),
    413: "The body is larger than MATCHER_MAX_CONTENT_LENGTH.",
    422: (
        "Validation failed; `fields` names each field at fault (also a text holding a NUL character "
        "or an unpaired surrogate, which no database stores)."
    ),
    503: "The index or the encoder is not available yet.",
}

LOCATION = {
    "type": "object",
    "properties": {
        "town": _STRING,
        "gmina_teryt": _STRING,
        "powiat_teryt": _STRING,
        "lat": {"type": "number"},
        "lon": {"type": "number"},
    },
}

PUBLIC_CARD = {
    "type": "object",
    "description": "Fields anyone may see: no personal contact data.",
    "properties": {
        "external_id": _STRING,
        "name": _STRING,
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "subtype": _STRING,
        "legal_form": _STRING,
        "scope": {"type": "string", "enum": list(SCOPES)},
        "location": LOCATION,
        "target_groups": {"type": "array", "items": {"type": "string", "enum": list(TARGET_GROUPS)}},
        "themes": {"type": "array", "items": {"type": "string", "enum": list(THEMES)}},
    },
}

_UNIT_OUT = {
    "oneOf": [
        _STRING,
        {"type": "object", "properties": {"title": _STRING, "description": _STRING}},
    ]
}

CONTACT = {
    "type": "object",
    "description": "The website for anyone; the person, e-mail and phone are personal data (RODO), "
    "present only in answers to the admin token, a contact-reader token or a staff token (each such "
    "answer is written to the audit log).",
    "required": ["www"],
    "properties": {k: {"type": "string", "nullable": True} for k in ("www", "person", "email", "phone")},
}

INSTITUTION = {
    "allOf": [
        {"$ref": "#/components/schemas/PublicCard"},
        {
            "type": "object",
            "properties": {
                "description": _STRING,
                "offers": {"type": "array", "items": _UNIT_OUT},
                "needs": {"type": "array", "items": _UNIT_OUT},
                "partners": {"type": "array", "items": _STRING},
                "updated_at": {"type": "string", "format": "date-time", "nullable": True, "readOnly": True},
                "contact": {"$ref": "#/components/schemas/ContactShown"},
            },
        },
    ]
}

SUGGESTION = {
    "type": "object",
    "properties": {
        "institution": {
            "allOf": [
                {"$ref": "#/components/schemas/PublicCard"},
                {"type": "object", "properties": {"contact": {"$ref": "#/components/schemas/ContactShown"}}},
            ]
        },
        "score": {"type": "number", "description": "The sum of `score_parts`."},
        "score_parts": {
            "type": "object",
            "description": "Weighted parts that counted: complement, reciprocity, profile, sector, "
            "reach, audience, competition (negative).",
            "additionalProperties": {"type": "number"},
        },
        "reasons": {
            "type": "array",
            "description": "Structured reasons, one per part that counted, with the texts behind it.",
            "items": _OBJECT,
        },
        "explanation": {"type": "string", "description": "The reasons as one paragraph (Polish or English)."},
    },
}

_INDEX_USED = {
    "type": "object",
    "description": "The index generation that answered.",
    "properties": {
        "generation": _STRING,
        "encoder": _STRING,
        "built_at": _STRING,
        "institutions": {"type": "integer"},
    },
}

STANDING = {
    "allOf": [
        {"$ref": "#/components/schemas/Suggestion"},
        {
            "type": "object",
            "required": ["status", "position", "k", "standing", "index"],
            "properties": {
                "status": {
                    "type": "string",
                    "enum": ["suggested", "ranked", "existing_partner", "excluded", "filtered"],
                    "description": "suggested: among the k suggestions; ranked: scored below them (or "
                    "held back by the sector quota); existing_partner: never suggested; excluded: "
                    "marked not relevant by the institution's staff.",
                },
                "position": {
                    "type": "integer",
                    "nullable": True,
                    "description": "Place among the k suggestions when suggested, else by score among "
                    "all eligible institutions; null when it is never listed.",
                },
                "k": {"type": "integer"},
                "last_suggested_score": {
                    "type": "number",
                    "nullable": True,
                    "description": "The k-th suggestion's score (null when fewer than k are listed).",
                },
                "standing": {"type": "string", "description": "Where it stands and why, in one sentence."},
                "index": _INDEX_USED,
            },
        },
    ]
}

MATCH_RESPONSE = {
    "type": "object",
    "required": ["k", "results", "index"],
    "properties": {
        "k": {"type": "integer", "description": "k as served (requests above MATCHER_MAX_K are capped)."},
        "results": {"type": "array", "items": {"$ref": "#/components/schemas/Suggestion"}},
        "index": _INDEX_USED,
        "respelt": {
            "type": "string",
            "description": "Only for a search typed without Polish letters or with typos: how it was "
            "read, with the letters put back and the typos corrected from the registry's own words "
            '("zajecia plywackie" -> "zajęcia pływackie", "nauzcy" -> "nauczy").',
        },
        "gloss": {
            "type": "string",
            "description": "Only for a search written in English: the Polish words of the domain "
            "dictionary it was read with beside the encoder "
            '("swimming lessons for children" -> "pływanie pływacki lekcja zajęcia dziecko").',
        },
        "place": {
            **LOCATION,
            "description": (
                'Only for a search that names a Małopolska town ("basen pod Miechowem") and gives '
                "no filters.near: the town its distances are measured from."
            ),
        },
    },
}

IMPORT_WARNING = {
    "type": "object",
    "description": "A card taken but likely entered twice: its name (compared without case, diacritics "
    "and punctuation) is another institution's in the same gmina or within 2 km, under another "
    "external_id (that institution stored, or a record before it in the file).",
    "required": ["index", "field", "message", "duplicate_of"],
    "properties": {
        "index": {"type": "integer", "description": "0-based position of the record in the file."},
        "line": {"type": "integer", "description": "Line in a JSON Lines file."},
        "external_id": _STRING,
        "field": {"type": "string", "example": "name"},
        "message": _STRING,
        "duplicate_of": {"type": "string", "description": "The external_id of the institution of that name."},
    },
}

_WARNINGS = {"type": "array", "items": {"$ref": "#/components/schemas/ImportWarning"}}

IMPORT_REPORT = {
    "type": "object",
    "properties": {
        **{k: {"type": "integer"} for k in ("created", "updated", "unchanged", "rejected")},
        "errors": {"type": "array", "items": _OBJECT},
        "warnings": _WARNINGS,
    },
}

MATCH_EXAMPLE = {
    "query": "Szukamy instruktora robotyki dla klas 4-6, raz w tygodniu po lekcjach",
    "k": 5,
    "filters": {"max_distance_km": 40, "near": {"lat": 50.0614, "lon": 19.9366}},
    "lang": "pl",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, example: Any = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"application/json": media}


def _param(name: str, where: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required, "schema": schema, "description": description}


_ID = _param("external_id", "path", _STRING, "The institution's external id.", required=True)


def _op(
    summary: str,
    tag: str,
    ok: tuple[int, str, dict | None],
    errors: tuple[int, ...] = (),
    *,
    body: dict | None = None,
    params: list | None = None,
    admin: bool = False,
    shows_contacts: bool = False,
    also: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One operation: its success answer, the error statuses it can give, body and parameters."""
    status, description, schema = ok
    responses: dict[str, Any] = {str(status): {"description": description}}
    if schema is not None:
        responses[str(status)]["content"] = _json(schema)
    for code in sorted({*errors, *((401,) if admin else ())}):
        responses[str(code)] = {"$ref": f"#/components/responses/E{code}"}
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": True, "content": body}
    if params:
        op["parameters"] = params
    if admin:
        # The admin, and for some operations also the bearer schemes in `also`.
        op["security"] = [{"admin": []}, *({scheme: []} for scheme in also)]
    elif shows_contacts:
        # Open to anyone; either token adds the personal contact fields.
        op["security"] = [{}, {"admin": []}, {"contact_reader": []}, {"staff": []}]
    return op


def _operations() -> dict[str, dict[str, dict]]:
    """Every route of the service, by path and method."""
    institution = _ref("Institution")
    fiszka = _json(_ref("Fiszka"))
    # Feedback on one institution's suggestions: the admin, its staff, or a portal back end.
    speakers: dict[str, Any] = {"params": [_ID], "admin": True, "also": ("staff", "contact_reader")}
    # Admin operations on one institution.
    by_admin: dict[str, Any] = {"params": [_ID], "admin": True}

    def write(summary: str, ok: tuple, params: list | None = None, staff: bool = False) -> dict[str, Any]:
        """A write of one card: by the admin, or with `staff` also by that institution's staff."""
        also = ("staff",) if staff else ()
        return _op(
            summary, "fiszki", ok, (400, 409, 413, 422), body=fiszka, params=params, admin=True, also=also
        )

    return {
        "/match": {
            "post": _op(
                "Ranked, explained partners for an institution or a free-text search (portal back ends)",
                "matching",
                (200, "Suggestions, best first, explained to the asking institution.", _ref("MatchResponse")),
                (400, 409, 413, 422, 503),
                body=_json(_ref("MatchRequest"), MATCH_EXAMPLE),
                shows_contacts=True,
            )
        },
        "/institutions/{external_id}/suggestions": {
            "get": _op(
                "Suggestions for an institution's staff, explained to them",
                "matching",
                (
                    200,
                    "Suggestions, best first, addressed to the institution's staff.",
                    _ref("MatchResponse"),
                ),
                (404, 409, 422, 503),
                params=[_ID, {"in": "query", "schema": SuggestionsArgsIn}],
                shows_contacts=True,
            )
        },
        "/institutions/{external_id}/suggestions/{partner}": {
            "get": _op(
                "Where one institution stands among this institution's suggestions, and why "
                "(scored and explained even when it is not listed)",
                "matching",
                (200, "Its score, parts, explanation and place, addressed to the staff.", _ref("Standing")),
                (404, 409, 422, 503),
                params=[
                    _ID,
                    _param("partner", "path", _STRING, "The other institution's external id.", required=True),
                    {"in": "query", "schema": SuggestionsArgsIn},
                ],
                shows_contacts=True,
            )
        },
        "/institutions/{external_id}/feedback": {
            "post": _op(
                "Say whether a suggested partner was useful (the latest word on a pair counts; "
                "not_relevant hides the partner from this institution's suggestions)",
                "matching",
                (200, "The judgment, replacing an earlier one (201 when new).", _OBJECT),
                (400, 404, 422),
                body=_json(_ref("Feedback")),
                **speakers,
            ),
            "get": _op(
                "This institution's judgments of suggested partners, newest first",
                "matching",
                (200, "Judgments.", _OBJECT),
                (404,),
                **speakers,
            ),
        },
        "/institutions": {
            "get": _op(
                "List fiszki, filtered and paged",
                "fiszki",
                (
                    200,
                    "A page of institutions.",
                    {
                        "type": "object",
                        "properties": {
                            **{k: {"type": "integer"} for k in ("total", "offset", "limit")},
                            "items": {"type": "array", "items": institution},
                        },
                    },
                ),
                (422,),
                params=[{"in": "query", "schema": ListArgsIn}],
                shows_contacts=True,
            ),
            "post": write(
                "Create a fiszka",
                (
                    201,
                    "Created; `warnings` names an institution of the same name nearby, if any.",
                    {"allOf": [institution, {"type": "object", "properties": {"warnings": _WARNINGS}}]},
                ),
            ),
        },
        "/institutions/{external_id}": {
            "get": _op(
                "Read a fiszka",
                "fiszki",
                (200, "The card.", institution),
                (404,),
                params=[_ID],
                shows_contacts=True,
            ),
            "put": write(
                "Create or replace a fiszka",
                (200, "Replaced (201 when created).", institution),
                [_ID],
                staff=True,
            ),
            "patch": _op(
                "Change some fields of a fiszka (JSON merge patch, RFC 7396: objects merge, null "
                "removes a field); the merged card is validated as a whole",
                "fiszki",
                (200, "The changed card.", institution),
                (400, 404, 409, 413, 422),
                body={
                    "application/merge-patch+json": {"schema": _OBJECT},
                    "application/json": {"schema": _OBJECT},
                },
                params=[_ID],
                admin=True,
                also=("staff",),
            ),
            "delete": _op(
                "Delete a fiszka", "fiszki", (204, "Deleted.", None), (404,), params=[_ID], admin=True
            ),
        },
        "/institutions:import": {
            "post": _op(
                "Import fiszki (upsert by external_id); all or nothing unless partial",
                "fiszki",
                (
                    200,
                    "What was created, updated, unchanged and rejected; warnings about likely duplicates.",
                    _ref("ImportReport"),
                ),
                (413, 422),
                body={
                    "application/json": {"schema": {"type": "array", "items": _ref("Fiszka")}},
                    "application/x-ndjson": {"schema": {"type": "string", "description": "JSON Lines"}},
                },
                params=[{"in": "query", "schema": ImportArgsIn}],
                admin=True,
            )
        },
        "/admin/reindex": {
            "post": _op(
                "Rebuild the partner index and switch to it",
                "admin",
                (200, "The new index's manifest.", _OBJECT),
                (409, 422, 503),
                params=[{"in": "query", "schema": ReindexArgsIn}],
                admin=True,
            )
        },
        "/admin/index": {
            "get": _op(
                "The loaded index and whether the fiszki changed since", "admin", (200, "Status.", _OBJECT)
            )
        },
        "/admin/institutions/{external_id}/tokens": {
            "post": _op(
                "Issue a staff token for an institution (the answer is the only place it appears)",
                "admin",
                (201, "The token and its id.", _OBJECT),
                (404, 422),
                body=_json(_ref("StaffTokenRequest")),
                **by_admin,
            ),
            "get": _op(
                "An institution's staff tokens (never the tokens themselves)",
                "admin",
                (200, "Tokens, revoked ones included.", _OBJECT),
                (404,),
                **by_admin,
            ),
        },
        "/admin/tokens/{token_id}": {
            "delete": _op(
                "Revoke a staff token for good",
                "admin",
                (200, "The revoked token.", _OBJECT),
                (404,),
                params=[_param("token_id", "path", {"type": "integer"}, "The token's id.", required=True)],
                admin=True,
            )
        },
        "/health": {"get": _op("Liveness", "admin", (200, "The service answers.", _OBJECT))},
        "/openapi.json": {"get": _op("This document", "admin", (200, "OpenAPI 3 document.", _OBJECT))},
    }


def _custom_fields(converter):
    """Describe the project's own marshmallow fields (one-or-many filters, units, categories)."""

    def describe(self, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
        if isinstance(field, OneOrMany):
            inner = converter.field2property(field.inner)
            return {"oneOf": [inner, {"type": "array", "items": inner, "maxItems": 50}]}
        if isinstance(field, UnitField):
            return {"oneOf": [_STRING, _ref("Unit")]}
        if isinstance(field, CategoryField):
            return {"type": "string", "enum": list(CATEGORIES), "description": "1-8 may also be integers."}
        return {}

    return describe


@functools.cache
def build_spec(server_version: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the service (built once per process)."""
    try:
        server_version = server_version or version("malopolska-matcher")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        server_version = "0"
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="Małopolska partner matcher",
        version=server_version,
        openapi_version="3.0.3",
        plugins=[plugin],
        info={
            "description": "Cross-sector, explained partner suggestions for the lifelong-learning "
            "institutions of Małopolska. Errors share one JSON shape (`Error`)."
        },
    )
    plugin.converter.add_attribute_function(_custom_fields(plugin.converter))
    spec.components.security_scheme(
        "admin", {"type": "http", "scheme": "bearer", "description": "MATCHER_ADMIN_TOKEN: every action."}
    )
    spec.components.security_scheme(
        "staff",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A staff token the admin issued for one institution (mps_...): reads personal "
            "contact data, replaces or patches that institution's card.",
        },
    )
    spec.components.security_scheme(
        "contact_reader",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "One of MATCHER_CONTACT_TOKENS: reads personal contact data, changes nothing.",
        },
    )
    for name, schema, description in (
        ("Unit", UnitSchema, "An offer or a need."),
        ("Fiszka", FiszkaSchema, "An institution card as it is imported or written."),
        ("Filters", FiltersIn, "Applied before the list is cut to k; a sector filter lifts the quota."),
        ("MatchRequest", MatchIn, "Exactly one of `institution` and `query`."),
        ("Feedback", FeedbackIn, "useful or contacted (a good suggestion), or not_relevant."),
        ("StaffTokenRequest", TokenIn, "Whose token it is, and for how many days it lasts."),
    ):
        spec.components.schema(name, {"description": description}, schema=schema)
    for name, component in (
        ("Error", ERROR),
        ("PublicCard", PUBLIC_CARD),
        ("ContactShown", CONTACT),
        ("Institution", INSTITUTION),
        ("Suggestion", SUGGESTION),
        ("MatchResponse", MATCH_RESPONSE),
        ("Standing", STANDING),
        ("ImportWarning", IMPORT_WARNING),
        ("ImportReport", IMPORT_REPORT),
    ):
        spec.components.schema(name, component)
    for code, description in ERRORS.items():
        spec.components.response(f"E{code}", {"description": description, "content": _json(_ref("Error"))})
    for path, operations in _operations().items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
