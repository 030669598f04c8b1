"""The fiszka import format: validation of one card record (marshmallow, no Flask)."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from matcher import geo
from matcher.typology import CATEGORIES, LEGAL_FORMS, SCOPES, SUBTYPES, TARGET_GROUPS, THEMES

MAX_UNITS = 50
EXTERNAL_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
EXTERNAL_ID_EXPECTED = "Must be an external_id: 1-64 characters of letters, digits and . _ : -"


class Pattern(validate.Regexp):
    """A regular expression the whole string must match, with an error saying what is expected.

    `validate.Regexp` uses `re.match`, where `$` also matches before a final newline, so
    "X-1\n" passed as an id. The pattern itself stays as written for the OpenAPI document.
    The error is required: marshmallow's default, "String does not match expected pattern.",
    does not say which.
    """

    def __init__(self, regex: str | re.Pattern, *, error: str) -> None:
        super().__init__(regex, error=error)

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


POWIAT_TERYT = Pattern(r"^12\d{2}$", error="Must be a 4-digit TERYT powiat code of Małopolska (12xx).")


class LocationSchema(Schema):
    town = Trimmed(required=True, validate=[validate.Length(1, 120), _non_blank])
    gmina_teryt = fields.String(
        required=True,
        validate=Pattern(r"^12\d{5}$", error="Must be a 7-digit TERYT gmina code of Małopolska (12xxxxx)."),
    )
    powiat_teryt = fields.String(required=True, validate=POWIAT_TERYT)
    lat = fields.Float(required=True, allow_nan=False)
    lon = fields.Float(required=True, allow_nan=False)

    @validates_schema
    def _consistent(self, data: dict, **kwargs: Any) -> None:
        gmina, powiat, lat, lon = data["gmina_teryt"], data["powiat_teryt"], data["lat"], data["lon"]
        errors: dict[str, str] = {}
        if not gmina.startswith(powiat):
            errors["powiat_teryt"] = "Must be the first 4 digits of gmina_teryt."
        elif powiat not in geo.powiat_names():
            errors["powiat_teryt"] = "Unknown powiat TERYT code."
        if gmina not in geo.gmina_codes():
            errors["gmina_teryt"] = _unknown_gmina(gmina)
        coordinates = _misplaced(lat, lon, None if "gmina_teryt" in errors else gmina)
        if coordinates:
            errors["lat"] = errors["lon"] = coordinates
        if errors:
            raise ValidationError({name: [message] for name, message in errors.items()})


def _unknown_gmina(code: str) -> str:
    """Why a 7-digit code is not a gmina, with the gmina's code when it names a part of one."""
    part = geo.gmina_parts().get(code)
    if part is None:
        return "Unknown gmina TERYT code."
    gmina = geo.gmina_names()[part.gmina_teryt]
    if part.kind == "delegatura":
        return (
            f"{code} is {part.name}, a district (delegatura) of {gmina}; "
            f"use the city's gmina code {part.gmina_teryt}."
        )
    what = "town" if part.kind == "miasto" else "rural area"
    return f"{code} is the {what} of the urban-rural gmina {gmina}; use the gmina's code {part.gmina_teryt}."


def _misplaced(lat: float, lon: float, gmina: str | None) -> str | None:
    """What is wrong with a seat's coordinates (outside Małopolska, or far from its gmina), if anything."""
    if not geo.in_malopolska_box(lat, lon):
        if geo.in_malopolska_box(lon, lat):
            return (
                "Coordinates lie outside Małopolska; lat and lon look swapped: "
                f"lat {lon}, lon {lat} would lie inside."
            )
        (south, north), (west, east) = geo.LAT_RANGE, geo.LON_RANGE
        return f"Coordinates lie outside Małopolska (lat {south}-{north}, lon {west}-{east})."
    km = geo.km_from_gmina(gmina, lat, lon) if gmina else None
    if km is None or km <= geo.MAX_KM_FROM_GMINA:
        return None
    near = geo.nearest_settlement(lat, lon)
    return (
        f"Coordinates lie {km:.0f} km from gmina {geo.gmina_names()[gmina]} ({gmina}), farther than "
        f"{geo.MAX_KM_FROM_GMINA:.0f} km from any of its places; they are near {near.town} in gmina "
        f"{near.gmina} ({near.gmina_teryt}): check lat/lon or gmina_teryt."
    )


class ContactSchema(Schema):
    person = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(
        load_default=None,
        allow_none=True,
        validate=Pattern(
            r"^\+?[0-9 ()-]{6,40}$",
            error="Must be a phone number: 6-40 digits, spaces, brackets and hyphens, optionally after a +.",
        ),
    )
    www = fields.Url(load_default=None, allow_none=True, validate=validate.Length(max=300))


def _keys(terms: dict) -> validate.OneOf:
    return validate.OneOf(sorted(terms))


class FiszkaSchema(Schema):
    """One institution card as it is imported."""

    external_id = fields.String(
        required=True,
        validate=Pattern(EXTERNAL_ID, error=EXTERNAL_ID_EXPECTED),
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
        fields.String(validate=Pattern(EXTERNAL_ID, error=EXTERNAL_ID_EXPECTED)),
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
