"""Store and retrieve fiszki: parsing, validated upsert by external_id, CRUD, fingerprint."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from matcher import geo, jsontext
from matcher.cards import validate_card
from matcher.jsontext import JSONRejected
from matcher.models import Institution, Need, Offer, utcnow
from matcher.spelling import plain

MAX_RECORDS = 20_000
# Two institutions of one name in one gmina, or this close, are likely one entered twice.
DUPLICATE_KM = 2.0


class NotFound(LookupError):
    """No institution has the external id asked for."""

    def __init__(self, external_id: str) -> None:
        super().__init__(f"No institution with external_id {external_id!r}.")
        self.external_id = external_id


class ImportRejected(ValueError):
    """An import file or record cannot be taken; `errors` say where and why."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} error(s) in the import")
        self.errors = errors


@dataclass
class ImportReport:
    """What an import did: ids created, updated, unchanged, the records it refused, and the
    records it took but warns about (a likely duplicate of another institution)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "rejected": len({e["index"] for e in self.errors}),
            "errors": self.errors,
            "warnings": self.warnings,
        }


@dataclass
class SourceRecord:
    """A raw record with where it stood in its file."""

    data: Any
    index: int
    line: int | None = None


def parse_import(payload: str | bytes) -> list[SourceRecord]:
    """Read a JSON array or JSON Lines document into raw records.

    Raises:
        ImportRejected: the document is not valid JSON / JSON Lines, or holds too many records.
    """
    if isinstance(payload, bytes):
        try:
            payload = payload.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportRejected(
                [{"index": None, "field": "_file", "message": f"Not UTF-8 text: {exc}"}]
            ) from exc
    text = payload.lstrip("\ufeff").strip()
    if not text:
        raise ImportRejected([{"index": None, "field": "_file", "message": "The file is empty."}])
    if text.startswith("["):
        try:
            data = jsontext.loads(text)
        except JSONRejected as exc:
            raise ImportRejected([_unreadable_in_array(exc)]) from exc
        except ValueError as exc:
            raise ImportRejected([_invalid(exc, None, "_file")]) from exc
        records = [SourceRecord(item, i) for i, item in enumerate(data)]
    else:
        records, errors = [], []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(SourceRecord(jsontext.loads(line), len(records), lineno))
            except JSONRejected as exc:
                field = "_record" if exc.field == "_body" else exc.field
                errors.append({"index": len(records), "line": lineno, "field": field, "message": exc.message})
                records.append(SourceRecord(None, len(records), lineno))
            except ValueError as exc:
                errors.append(_invalid(exc, len(records), "_record", lineno))
                records.append(SourceRecord(None, len(records), lineno))
        if errors:
            raise ImportRejected(errors)
    if len(records) > MAX_RECORDS:
        raise ImportRejected(
            [
                {
                    "index": None,
                    "field": "_file",
                    "message": f"Too many records ({len(records)} > {MAX_RECORDS}).",
                }
            ]
        )
    return records


def _invalid(exc: ValueError, index: int | None, field: str, line: int | None = None) -> dict[str, Any]:
    """An import error for text that is not JSON (or holds an integer too long to read)."""
    # The other ValueError json raises: an integer of more digits than Python converts.
    message = exc.msg if isinstance(exc, json.JSONDecodeError) else "a number has too many digits"
    return {
        "index": index,
        "line": line if line is not None else getattr(exc, "lineno", None),
        "field": field,
        "message": f"Invalid JSON: {message}",
    }


def _unreadable_in_array(exc: JSONRejected) -> dict[str, Any]:
    """An import error for a JSON array holding unstorable text: which record, which field."""
    head, _, rest = exc.field.partition(".")
    if not head.isdigit():  # too deep, or the array itself
        return {"index": None, "field": "_file", "message": exc.message}
    return {"index": int(head), "field": rest or "_record", "message": exc.message}


def content_hash(card: dict[str, Any]) -> str:
    """Hash a validated card canonically, to tell real changes from re-imports."""
    return hashlib.sha256(json.dumps(card, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def import_records(session: Session, records: Iterable[SourceRecord], partial: bool = False) -> ImportReport:
    """Validate records and upsert them by external_id in one transaction.

    Args:
        session: an open session; committed on success, rolled back on rejection.
        records: raw records, e.g. from `parse_import`.
        partial: keep the valid records when some are invalid (default: all or nothing).

    Returns:
        The report; in all-or-nothing mode, when it has errors nothing was written.
    """
    report = ImportReport()
    cards: list[tuple[SourceRecord, dict]] = []
    seen: dict[str, int] = {}
    for record in records:
        card, errors = validate_card(record.data)
        if card is not None and card["external_id"] in seen:
            errors = [
                {
                    "field": "external_id",
                    "message": f"Duplicate of the record at index {seen[card['external_id']]}.",
                }
            ]
        if errors:
            report.errors.extend(_located(record, errors))
            continue
        seen[card["external_id"]] = record.index
        cards.append((record, card))

    known = set(session.scalars(select(Institution.external_id)))
    ids_in_file = {card["external_id"] for _, card in cards}
    accepted: list[tuple[SourceRecord, dict]] = []
    for record, card in cards:
        missing = [(i, p) for i, p in enumerate(card["partners"]) if p not in known and p not in ids_in_file]
        if missing:
            report.errors.extend(
                _located(
                    record,
                    [
                        {"field": f"partners.{i}", "message": f"Unknown partner external_id {p!r}."}
                        for i, p in missing
                    ],
                )
            )
        else:
            accepted.append((record, card))
    if report.errors and not partial:
        return report

    accepted_ids = {c["external_id"] for _, c in accepted}
    by_id = {}
    for _, card in accepted:
        institution, state = _upsert(session, card)
        by_id[card["external_id"]] = institution
        getattr(report, state).append(card["external_id"])
    session.flush()
    report.warnings = _near_duplicates(session, accepted, {*report.created, *report.updated})
    for _, card in accepted:
        # A partner rejected in partial mode is dropped from the link, not invented.
        wanted = [p for p in card["partners"] if p in known or p in accepted_ids]
        _set_partners(session, by_id[card["external_id"]], wanted)
    session.commit()
    return report


_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


# Cached: the stored names an import compares its cards with repeat from import to import.
@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """A name as compared for duplicates: without case, diacritics, punctuation and spaces.

    "Gminny Ośrodek Kultury „Sokół” w Gdowie" and "GMINNY OSRODEK KULTURY SOKOL, W GDOWIE"
    have one key.
    """
    decomposed = unicodedata.normalize("NFKD", plain(name).casefold())  # NFKD leaves ł whole
    return _NOT_LETTER_OR_DIGIT.sub("", decomposed)


class _Seat(NamedTuple):
    """Where an institution of some name is: the fields a duplicate is told by."""

    external_id: str
    gmina_teryt: str
    lat: float
    lon: float


def _near_duplicates(
    session: Session, accepted: list[tuple[SourceRecord, dict]], written: set[str]
) -> list[dict[str, Any]]:
    """Warnings for written cards whose name is another institution's in the same gmina or nearby.

    Each written card is compared with the stored institutions the import does not replace and
    with the cards before it in the file, never with its own stored version: one query (of the
    institutions in the written cards' gminy or their surroundings) and one pass over the file.
    """
    if not written:
        return []
    seats = {card["external_id"]: _seat(card) for _, card in accepted}
    new = [seat for seat in seats.values() if seat.external_id in written]
    south, north, west, east = geo.box_around([(s.lat, s.lon) for s in new], DUPLICATE_KM)
    nearby = session.execute(
        select(
            Institution.external_id,
            Institution.name,
            Institution.gmina_teryt,
            Institution.lat,
            Institution.lon,
        )
        .where(
            or_(
                Institution.gmina_teryt.in_({s.gmina_teryt for s in new}),
                and_(Institution.lat.between(south, north), Institution.lon.between(west, east)),
            )
        )
        .order_by(Institution.external_id)
    )
    by_name: dict[str, list[Any]] = {}
    for row in nearby:  # rows carry the fields of a _Seat, by name
        if row.external_id not in seats:
            by_name.setdefault(name_key(row.name), []).append(row)
    warnings = []
    for record, card in accepted:
        seat = seats[card["external_id"]]
        same_name = by_name.setdefault(name_key(card["name"]), [])
        twin = _twin(seat, same_name) if seat.external_id in written else None
        if twin is not None:
            other, where = twin
            message = (
                f"Same name as {other}, {where}: if it is the same institution, keep one card "
                "(imported anyway: branches may share a name)."
            )
            warnings += _located(record, [{"field": "name", "message": message, "duplicate_of": other}])
        same_name.append(seat)
    return warnings


def _seat(card: dict[str, Any]) -> _Seat:
    location = card["location"]
    return _Seat(card["external_id"], location["gmina_teryt"], location["lat"], location["lon"])


def _twin(seat: _Seat, same_name: list[_Seat]) -> tuple[str, str] | None:
    """The first institution of the same name in the same gmina or within DUPLICATE_KM, and where."""
    for other in same_name:
        if other.gmina_teryt == seat.gmina_teryt:
            return other.external_id, "in the same gmina"
        km = geo.distance_km(seat.lat, seat.lon, other.lat, other.lon)
        if km <= DUPLICATE_KM:
            return other.external_id, f"{km:.1f} km away"
    return None


def _located(record: SourceRecord, errors: list[dict[str, str]]) -> list[dict[str, Any]]:
    where = {"index": record.index}
    if record.line is not None:
        where["line"] = record.line
    external_id = record.data.get("external_id") if isinstance(record.data, dict) else None
    if isinstance(external_id, str):
        where["external_id"] = external_id
    return [{**where, **error} for error in errors]


def _upsert(session: Session, card: dict[str, Any]) -> tuple[Institution, str]:
    digest = content_hash(card)
    institution = session.scalar(select(Institution).where(Institution.external_id == card["external_id"]))
    if institution is not None and institution.content_hash == digest:
        return institution, "unchanged"
    state = "updated" if institution is not None else "created"
    if institution is None:
        institution = Institution(external_id=card["external_id"])
        session.add(institution)
    location, contact = card["location"], card.get("contact") or {}
    institution.name = card["name"].strip()
    institution.category = card["category"]
    institution.subtype = card["subtype"]
    institution.legal_form = card["legal_form"]
    institution.description = card["description"].strip()
    institution.target_groups = list(dict.fromkeys(card["target_groups"]))
    institution.themes = list(dict.fromkeys(card["themes"]))
    institution.scope = card["scope"]
    institution.town = location["town"].strip()
    institution.gmina_teryt = location["gmina_teryt"]
    institution.powiat_teryt = location["powiat_teryt"]
    institution.lat = location["lat"]
    institution.lon = location["lon"]
    institution.contact_person = contact.get("person")
    institution.contact_email = contact.get("email")
    institution.contact_phone = contact.get("phone")
    institution.contact_www = contact.get("www")
    institution.offers = [
        Offer(position=i, title=u["title"].strip(), description=u["description"])
        for i, u in enumerate(card["offers"])
    ]
    institution.needs = [
        Need(position=i, title=u["title"].strip(), description=u["description"])
        for i, u in enumerate(card["needs"])
    ]
    institution.content_hash = digest
    institution.updated_at = utcnow()
    return institution, state


def _set_partners(session: Session, institution: Institution, external_ids: list[str]) -> None:
    partners = (
        session.scalars(select(Institution).where(Institution.external_id.in_(external_ids))).all()
        if external_ids
        else []
    )
    institution.partners = sorted(partners, key=lambda p: p.external_id)


def upsert_card(session: Session, record: Any) -> tuple[Institution, ImportReport]:
    """Create or replace one card; return it and the report (whether it was created, warnings).

    Raises:
        ImportRejected: the record is invalid (field errors inside).
    """
    report = import_records(session, [SourceRecord(record, 0)])
    if report.errors:
        raise ImportRejected(report.errors)
    return get_institution(session, record["external_id"]), report


# What a whole card needs loaded with it: its offers, needs and partner links.
_WHOLE_CARD = (
    selectinload(Institution.offers),
    selectinload(Institution.needs),
    selectinload(Institution.partners),
)


def get_institution(session: Session, external_id: str) -> Institution:
    """Load one institution with its offers, needs and partners.

    Raises:
        NotFound: no such external id.
    """
    institution = session.scalar(
        select(Institution).where(Institution.external_id == external_id).options(*_WHOLE_CARD)
    )
    if institution is None:
        raise NotFound(external_id)
    return institution


def delete_institution(session: Session, external_id: str) -> None:
    """Delete an institution with its offers, needs and partner links."""
    session.delete(get_institution(session, external_id))
    session.commit()


def list_institutions(
    session: Session,
    category: str | None = None,
    powiat_teryt: str | None = None,
    search: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Institution], int]:
    """Return a page of institutions ordered by external id, and the total count."""
    query = select(Institution)
    if category:
        query = query.where(Institution.category == category)
    if powiat_teryt:
        query = query.where(Institution.powiat_teryt == powiat_teryt)
    for word in dict.fromkeys((search or "").split()):
        # Every word must appear in the name, the description or the town (any case); the
        # caller's % and _ are literal characters, not wildcards.
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                Institution.name.ilike(pattern, escape="\\"),
                Institution.description.ilike(pattern, escape="\\"),
                Institution.town.ilike(pattern, escape="\\"),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.order_by(Institution.external_id).offset(offset).limit(limit).options(*_WHOLE_CARD)
    ).all()
    return list(rows), int(total or 0)


def load_all(session: Session) -> list[Institution]:
    """Every institution with offers, needs and partners loaded, ordered by external id."""
    return list(session.scalars(select(Institution).order_by(Institution.external_id).options(*_WHOLE_CARD)))


def contacts(session: Session, external_ids: Iterable[str]) -> dict[str, Any]:
    """The contact fields (`contact_person`, `_email`, `_phone`, `_www`) of stored institutions, by id."""
    ids = list(external_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(
            Institution.external_id,
            Institution.contact_person,
            Institution.contact_email,
            Institution.contact_phone,
            Institution.contact_www,
        ).where(Institution.external_id.in_(ids))
    )
    return {row.external_id: row for row in rows}


def data_fingerprint(session: Session) -> str:
    """Hash of every card's content: changes whenever any fiszka is added, changed or removed."""
    digest = hashlib.sha256()
    for external_id, card_hash in session.execute(
        select(Institution.external_id, Institution.content_hash).order_by(Institution.external_id)
    ):
        digest.update(f"{external_id}:{card_hash};".encode())
    return digest.hexdigest()


def count_institutions(session: Session) -> int:
    """How many fiszki are stored."""
    return int(session.scalar(select(func.count(Institution.id))) or 0)
