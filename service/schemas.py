"""Request (`...In`) and response (`...Out`) schemas of the HTTP API."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from matcher import access
from matcher.cards import POWIAT_TERYT, CategoryField, Pattern, flatten_errors
from matcher.feedback import VERDICTS
from matcher.matching import MatchRequest
from matcher.models import Institution
from matcher.ranking import Filters
from matcher.typology import CATEGORIES, SCOPES, TARGET_GROUPS, THEMES
from service.errors import APIError


class OneOrMany(fields.Field):
    """A filter value given as one item or a list of items; loaded as a tuple."""

    def __init__(self, inner: fields.Field, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inner = inner

    def _deserialize(self, value, attr, data, **kwargs):
        items = value if isinstance(value, list) else [value]
        if len(items) > 50:
            raise ValidationError("At most 50 values.")
        return tuple(self.inner.deserialize(item) for item in items)


class NearIn(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90), allow_nan=False)
    lon = fields.Float(required=True, validate=validate.Range(-180, 180), allow_nan=False)


class FiltersIn(Schema):
    category = OneOrMany(CategoryField())
    powiat_teryt = OneOrMany(fields.String(validate=POWIAT_TERYT))
    target_group = OneOrMany(fields.String(validate=validate.OneOf(sorted(TARGET_GROUPS))))
    theme = OneOrMany(fields.String(validate=validate.OneOf(sorted(THEMES))))
    scope = OneOrMany(fields.String(validate=validate.OneOf(sorted(SCOPES))))
    cross_sector_only = fields.Boolean(truthy={True}, falsy={False})
    same_sector = fields.Boolean(truthy={True}, falsy={False})
    max_distance_km = fields.Float(validate=validate.Range(min=0, max=1000), allow_nan=False)
    near = fields.Nested(NearIn)
    exclude = OneOrMany(fields.String(validate=validate.Length(1, 64)))

    @validates_schema
    def _not_both(self, data: dict, **kwargs: Any) -> None:
        if data.get("cross_sector_only") and data.get("same_sector"):
            raise ValidationError("cross_sector_only and same_sector exclude each other.", "same_sector")

    @post_load
    def _make(self, data: dict, **kwargs: Any) -> Filters:
        near = data.pop("near", None)
        return Filters(**data, near=(near["lat"], near["lon"]) if near else None)


def _non_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


class MatchIn(Schema):
    """Body of POST /match: exactly one of `institution` and `query`."""

    institution = fields.String(validate=validate.Length(1, 64))
    query = fields.String(validate=[validate.Length(min=1), _non_blank])
    k = fields.Integer(load_default=10, strict=True, validate=validate.Range(min=1))
    filters = fields.Nested(FiltersIn, load_default=None)
    # Explanations' language; without it Polish, or English for a search written in English.
    lang = fields.String(
        validate=validate.OneOf(["pl", "en"]),
        metadata={"description": "pl or en; default pl, or en for a search written in English."},
    )

    @validates_schema
    def _exactly_one(self, data: dict, **kwargs: Any) -> None:
        if ("institution" in data) == ("query" in data):
            raise ValidationError("Give exactly one of 'institution' and 'query'.", "institution")


class SuggestionsArgsIn(MatchIn):
    """Query string of GET /institutions/<id>/suggestions."""

    class Meta:
        exclude = ("institution", "query", "filters")

    k = fields.Integer(load_default=10, validate=validate.Range(min=1))

    @validates_schema
    def _exactly_one(self, data: dict, **kwargs: Any) -> None:
        """The institution comes from the path."""


# A catalogue search is a few words; more would only make a slower query (and SQLite has a
# limit on how deep a query may nest).
MAX_SEARCH_CHARS = 200
MAX_SEARCH_WORDS = 10


def _short_search(text: str) -> None:
    if len(text) > MAX_SEARCH_CHARS or len(set(text.split())) > MAX_SEARCH_WORDS:
        raise ValidationError(f"At most {MAX_SEARCH_WORDS} words and {MAX_SEARCH_CHARS} characters.")


class ListArgsIn(Schema):
    """Query string of GET /institutions: filters and a page (unknown parameters are refused)."""

    category = fields.String(validate=validate.OneOf(list(CATEGORIES)))
    powiat_teryt = fields.String(validate=Pattern(r"^\d{4}$", error="Must be a 4-digit TERYT powiat code."))
    q = fields.String(
        validate=_short_search,
        metadata={"description": "Up to 10 words that must all appear in the name, description or town."},
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 10**9))


class ImportArgsIn(Schema):
    """Query string of POST /institutions:import."""

    partial = fields.Boolean(
        load_default=False, metadata={"description": "Keep the valid records when some are rejected."}
    )


class ReindexArgsIn(Schema):
    """Query string of POST /admin/reindex."""

    from_stored = fields.Boolean(
        load_default=False, metadata={"description": "Use stored vectors only; never encode."}
    )


class FeedbackIn(Schema):
    """Body of POST /institutions/<id>/feedback."""

    partner = fields.String(required=True, validate=validate.Length(1, 64))
    verdict = fields.String(required=True, validate=validate.OneOf(sorted(VERDICTS)))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class TokenIn(Schema):
    """Body of POST /admin/institutions/<id>/tokens."""

    label = fields.String(load_default="staff", validate=validate.Length(max=200))
    days = fields.Integer(
        load_default=access.DEFAULT_DAYS, strict=True, validate=validate.Range(1, access.MAX_DAYS)
    )


def json_object(data: Any) -> dict[str, Any]:
    """A request body that must be a JSON object, or a 400 naming the body."""
    if not isinstance(data, dict):
        raise APIError(
            400,
            "bad_request",
            "The request body must be a JSON object."
            if data is not None
            else "The request body must be JSON.",
            [{"field": "_body", "message": "Expected a JSON object."}],
        )
    return data


def load(schema: Schema, data: Any) -> dict[str, Any]:
    """Validate input with a schema, raising a 422 API error with per-field messages."""
    json_object(data)
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise APIError(
            422, "validation_error", "The request failed validation.", flatten_errors(exc.messages)
        ) from exc


def match_request(data: dict[str, Any], config: dict[str, Any]) -> MatchRequest:
    """A validated MatchIn as a domain request: k capped, the query's length checked."""
    query = data.get("query")
    if query is not None and len(query) > config["MAX_QUERY_CHARS"]:
        raise APIError(
            422,
            "validation_error",
            "The query is too long.",
            [{"field": "query", "message": f"At most {config['MAX_QUERY_CHARS']} characters."}],
        )
    max_k = config["MAX_K"]
    return MatchRequest(
        institution=data.get("institution"),
        query=query,
        k=min(data["k"], max_k),
        filters=data.get("filters") or Filters(),
    )


class InstitutionOut:
    """An institution card as returned; personal contact data only for callers allowed to see it."""

    @staticmethod
    def dump(institution: Institution, with_contact: bool) -> dict[str, Any]:
        card: dict[str, Any] = {
            "external_id": institution.external_id,
            "name": institution.name,
            "category": institution.category,
            "subtype": institution.subtype,
            "legal_form": institution.legal_form,
            "description": institution.description,
            "offers": [_unit(u) for u in institution.offers],
            "needs": [_unit(u) for u in institution.needs],
            "target_groups": list(institution.target_groups or []),
            "themes": list(institution.themes or []),
            "scope": institution.scope,
            "location": {
                "town": institution.town,
                "gmina_teryt": institution.gmina_teryt,
                "powiat_teryt": institution.powiat_teryt,
                "lat": institution.lat,
                "lon": institution.lon,
            },
            "partners": [p.external_id for p in institution.partners],
            "updated_at": institution.updated_at.isoformat() if institution.updated_at else None,
        }
        card["contact"] = contact_of(institution, with_contact)
        return card


# The contact fields that are personal data (RODO); the website is not.
PERSONAL_CONTACT = ("person", "email", "phone")


def contact_of(record: Any, personal: bool) -> dict[str, str | None]:
    """An institution's contact fields for one caller.

    The website is the institution's own and public. The person, e-mail and phone are
    personal data (RODO): only for callers allowed to see them (`service.auth`).
    """
    contact = {"www": record.contact_www}
    if personal:
        contact.update({key: getattr(record, f"contact_{key}") for key in PERSONAL_CONTACT})
    return contact


def _unit(unit) -> dict[str, Any] | str:
    return {"title": unit.title, "description": unit.description} if unit.description else unit.title
