"""Fiszki: list, read, create, replace, delete, import; suggestions for an institution's staff."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from matcher import feedback
from matcher.cards import merge_patch
from matcher.matching import MatchRequest
from matcher.registry import (
    ImportRejected,
    NotFound,
    delete_institution,
    get_institution,
    import_records,
    list_institutions,
    parse_import,
    upsert_card,
)
from service.auth import (
    admin_required,
    caller_role,
    editor_required,
    may_see_contacts,
    reveal_contacts,
    speaker_required,
)
from service.errors import APIError, not_found
from service.refresh import refreshing
from service.schemas import (
    PERSONAL_CONTACT,
    FeedbackIn,
    ImportArgsIn,
    InstitutionOut,
    ListArgsIn,
    SuggestionsArgsIn,
    contact_of,
    json_object,
    load,
    match_request,
)
from service.state import db_session
from service.views.match import assess, run_match

bp = Blueprint("institutions", __name__)


@bp.get("/institutions")
def index():
    args = load(ListArgsIn(), request.args.to_dict())
    rows, total = list_institutions(
        db_session(),
        category=args.get("category"),
        powiat_teryt=args.get("powiat_teryt"),
        search=args.get("q"),
        offset=args["offset"],
        limit=args["limit"],
    )
    return {"total": total, "offset": args["offset"], "limit": args["limit"], "items": _cards(rows)}


@bp.get("/institutions/<external_id>")
def show(external_id: str):
    return _cards([get_institution(db_session(), external_id)])[0]


@bp.post("/institutions")
@admin_required
@refreshing
def create():
    body = json_object(request.get_json(silent=True))
    session = db_session()
    if isinstance(body.get("external_id"), str):
        try:
            get_institution(session, body["external_id"])
        except LookupError:
            pass
        else:
            raise APIError(
                409,
                "conflict",
                "An institution with this external_id exists; use PUT to replace it.",
                [{"field": "external_id", "message": "Already exists."}],
            )
    institution, report = upsert_card(session, body)
    return {**_cards([institution])[0], "warnings": report.warnings}, 201


@bp.put("/institutions/<external_id>")
@editor_required
@refreshing
def replace(external_id: str):
    body = json_object(request.get_json(silent=True))
    _same_id(
        body.setdefault("external_id", external_id),
        external_id,
        "external_id in the body differs from the path.",
    )
    _drop_answer_fields(body)
    if not may_see_contacts():
        _keep_hidden_contacts(body, external_id)
    institution, report = upsert_card(db_session(), body)
    return _cards([institution])[0], 201 if report.created else 200


def _drop_answer_fields(body: dict) -> None:
    """Leave out what the service sets: a card it answered with can be sent back as it is."""
    for key in ("updated_at", "warnings"):
        body.pop(key, None)


def _keep_hidden_contacts(body: dict, external_id: str) -> None:
    """What a caller is not shown it cannot erase by leaving it out: a GET-then-PUT round trip
    by a caller who sees no personal contacts keeps the stored ones (an explicit null clears)."""
    try:
        stored = contact_of(get_institution(db_session(), external_id), personal=True)
    except NotFound:
        return
    contact = body.setdefault("contact", {})
    if isinstance(contact, dict):
        for key in PERSONAL_CONTACT:
            if key not in contact and stored[key]:
                contact[key] = stored[key]


@bp.patch("/institutions/<external_id>")
@editor_required
@refreshing
def update(external_id: str):
    """Change only the fields given (a JSON merge patch); the rest of the card stays as stored."""
    patch = json_object(request.get_json(silent=True))
    _same_id(patch.get("external_id", external_id), external_id, "external_id cannot be changed by PATCH.")
    _drop_answer_fields(patch)
    session = db_session()
    stored = InstitutionOut.dump(get_institution(session, external_id), with_contact=True)
    stored.pop("updated_at")
    institution, _ = upsert_card(session, merge_patch(stored, patch))
    return _cards([institution])[0], 200


@bp.delete("/institutions/<external_id>")
@admin_required
@refreshing
def destroy(external_id: str):
    delete_institution(db_session(), external_id)
    return "", 204


@bp.post("/institutions:import")
@admin_required
@refreshing
def import_file():
    partial = load(ImportArgsIn(), request.args.to_dict())["partial"]
    records = parse_import(request.get_data(cache=False))
    report = import_records(db_session(), records, partial=partial)
    if report.errors and not partial:
        raise ImportRejected(report.errors)
    return report.as_dict(), 200


@bp.get("/institutions/<external_id>/suggestions")
def suggestions(external_id: str):
    req, lang = _staff_request(external_id)
    return run_match(req, lang, voice="second")


@bp.get("/institutions/<external_id>/suggestions/<partner>")
def standing(external_id: str, partner: str):
    """Why a given institution is, or is not, among this institution's suggestions."""
    req, lang = _staff_request(external_id)
    return assess(req, partner, lang)


def _staff_request(external_id: str) -> tuple[MatchRequest, str | None]:
    """The match request of an institution's staff view (from the query string), and its `lang`."""
    args = load(SuggestionsArgsIn(), request.args.to_dict())
    return match_request({**args, "institution": external_id}, current_app.config), args.get("lang")


@bp.post("/institutions/<external_id>/feedback")
@speaker_required
def give_feedback(external_id: str):
    """Staff say whether a suggested partner was useful; "not_relevant" hides it from now on."""
    data = load(FeedbackIn(), request.get_json(silent=True))
    try:
        row, created = feedback.record(
            db_session(), external_id, data["partner"], data["verdict"], data.get("comment"), caller_role()
        )
    except NotFound as exc:
        raise not_found(exc, external_id) from None
    except ValueError as exc:
        raise APIError(
            422, "validation_error", str(exc), [{"field": "partner", "message": str(exc)}]
        ) from None
    return feedback.describe(row), 201 if created else 200


@bp.get("/institutions/<external_id>/feedback")
@speaker_required
def list_feedback(external_id: str):
    return {"items": [feedback.describe(row) for row in feedback.of_institution(db_session(), external_id)]}


def _same_id(given: object, external_id: str, message: str) -> None:
    """A 409 when a body names another institution than its path."""
    if given != external_id:
        raise APIError(
            409, "conflict", message, [{"field": "external_id", "message": "Must equal the id in the path."}]
        )


def _cards(institutions: list) -> list[dict]:
    """Cards as this caller may see them; showing personal contact data is audited."""
    personal = reveal_contacts({i.external_id: i for i in institutions})
    return [InstitutionOut.dump(i, personal) for i in institutions]
