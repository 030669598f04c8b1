"""The fiszka import format: validation of one card record (marshmallow, no Flask)."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from matcher import geo
from matcher.typology import CATEGORIES, LEGAL_FORMS, SCOPES, SUBTYPES, TARGET_GROUPS, THEMES

MAX_UNITS = 50
EXTERNAL_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class Pattern(validate.Regexp):
    """A regular expression the whole string must match.

    `validate.Regexp` uses `re.match`, where `$` also matches before a final newline, so
    "X-1\n" passed as an id. The pattern itself stays as written for the OpenAPI document.
    """

    def __call__(self, value):
        if not isinstance(value, str) or self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class CategoryField(fields.Field):
    """A report category: 1-8 (string or integer) or ngo/employer/public."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError("Must be 1-8, 'ngo', 'employer' or 'public'.")
        key = str(value).strip().lower()
        if key not in CATEGORIES:
            raise ValidationError(f"Unknown category {value!r}; use 1-8, 'ngo', 'employer' or 'public'.")
        return key


class UnitField(fields.Field):
    """An offer or need: a plain string, or an object with a title and a description."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = {"title": value}
        if not isinstance(value, dict):
            raise ValidationError("Must be a string or an object with 'title' and 'description'.")
        return UnitSchema().load(value)


class Trimmed(fields.String):
    """A string stored without its surrounding whitespace: its length is checked as stored."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def _non_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


class UnitSchema(Schema):
    title = Trimmed(required=True, validate=[validate.Length(3, 300), _non_blank])
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class LocationSchema(Schema):
    town = Trimmed(required=True, validate=[validate.Length(1, 120), _non_blank])
    gmina_teryt = fields.String(
        required=True,
        validate=Pattern(r"^12\d{5}$", error="Must be a 7-digit TERYT gmina code of Małopolska (12xxxxx)."),
    )
    powiat_teryt = fields.String(
        required=True,
        validate=Pattern(r"^12\d{2}$", error="Must be a 4-digit TERYT powiat code of Małopolska (12xx)."),
    )
    lat = fields.Float(required=True, allow_nan=False)
    lon = fields.Float(required=True, allow_nan=False)

    @validates_schema
    def _consistent(self, data: dict, **kwargs: Any) -> None:
        gmina, powiat = data.get("gmina_teryt"), data.get("powiat_teryt")
        if gmina and powiat and not gmina.startswith(powiat):
            raise ValidationError("Must be the first 4 digits of gmina_teryt.", "powiat_teryt")
        if gmina and gmina not in geo.gmina_codes():
            raise ValidationError("Unknown gmina TERYT code.", "gmina_teryt")
        if powiat and powiat not in geo.powiat_names():
            raise ValidationError("Unknown powiat TERYT code.", "powiat_teryt")
        lat, lon = data.get("lat"), data.get("lon")
        if lat is not None and lon is not None and not geo.in_malopolska_box(lat, lon):
            raise ValidationError("Coordinates lie outside Małopolska.", "lat")


class ContactSchema(Schema):
    person = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(
        load_default=None,
        allow_none=True,
        validate=Pattern(r"^\+?[0-9 ()-]{6,40}$", error="Not a phone number."),
    )
    www = fields.Url(load_default=None, allow_none=True, validate=validate.Length(max=300))


def _keys(terms: dict) -> validate.OneOf:
    return validate.OneOf(sorted(terms))


class FiszkaSchema(Schema):
    """One institution card as it is imported."""

    external_id = fields.String(
        required=True,
        validate=Pattern(EXTERNAL_ID, error="Must be 1-64 characters of letters, digits and . _ : -"),
    )
    name = Trimmed(required=True, validate=[validate.Length(1, 300), _non_blank])
    category = CategoryField(required=True)
    subtype = fields.String(required=True)
    legal_form = fields.String(required=True, validate=_keys(LEGAL_FORMS))
    description = Trimmed(required=True, validate=[validate.Length(1, 5000), _non_blank])
    offers = fields.List(UnitField(), required=True, validate=validate.Length(max=MAX_UNITS))
    needs = fields.List(UnitField(), required=True, validate=validate.Length(max=MAX_UNITS))
    target_groups = fields.List(
        fields.String(validate=_keys(TARGET_GROUPS)),
        load_default=list,
        validate=validate.Length(max=len(TARGET_GROUPS)),
    )
    themes = fields.List(
        fields.String(validate=_keys(THEMES)), load_default=list, validate=validate.Length(max=len(THEMES))
    )
    scope = fields.String(required=True, validate=_keys(SCOPES))
    location = fields.Nested(LocationSchema, required=True)
    contact = fields.Nested(ContactSchema, load_default=dict)
    partners = fields.List(
        fields.String(validate=Pattern(EXTERNAL_ID)),
        load_default=list,
        validate=validate.Length(max=500),
    )

    @validates_schema
    def _subtype_in_category(self, data: dict, **kwargs: Any) -> None:
        category, subtype = data.get("category"), data.get("subtype")
        if category in SUBTYPES and subtype not in SUBTYPES[category]:
            allowed = ", ".join(SUBTYPES[category])
            raise ValidationError(f"Not a subtype of category {category}; use one of: {allowed}.", "subtype")
        if data.get("external_id") and data["external_id"] in data.get("partners", []):
            raise ValidationError("An institution cannot be its own partner.", "partners")


def flatten_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn marshmallow's nested error messages into `{"field", "message"}` rows."""
    if isinstance(messages, dict):
        rows = []
        for key, value in messages.items():
            path = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            rows.extend(flatten_errors(value, path))
        return rows
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [{"field": prefix or "_record", "message": m} for m in messages]
    if isinstance(messages, list):
        return [row for m in messages for row in flatten_errors(m, prefix)]
    return [{"field": prefix or "_record", "message": str(messages)}]


def validate_card(record: Any) -> tuple[dict | None, list[dict[str, str]]]:
    """Validate one record; return the clean card or the field errors."""
    if not isinstance(record, dict):
        return None, [{"field": "_record", "message": "Must be a JSON object."}]
    try:
        return FiszkaSchema().load(record), []
    except ValidationError as exc:
        return None, flatten_errors(exc.messages)


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply a JSON merge patch (RFC 7396) to a card: objects merge, null removes, anything else replaces.

    `PATCH` changes only what it names, so a client that edits an institution's offers
    cannot lose the contact data or the partners it did not send.
    """
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged
