"""Feedback on suggestions: staff say which partners were useful; the ranking learns from it.

Each judgment is (asking institution, suggested partner, verdict). The latest judgment of a
pair replaces the earlier one. "not_relevant" partners are left out of that institution's
later suggestions; all judgments together are labelled queries (one per asking institution)
on which `tune_weights` learns the weights of the score parts.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.evaluation import LabelledQuery
from matcher.matching import MatchRequest
from matcher.models import Feedback, Institution, utcnow
from matcher.registry import get_institution

# Verdicts and the relevance grade each one stands for.
VERDICTS = {"useful": 2, "contacted": 2, "not_relevant": 0}
DISMISSED = "not_relevant"


def record(
    session: Session, external_id: str, partner_id: str, verdict: str, comment: str | None, given_by: str
) -> tuple[Feedback, bool]:
    """Store a judgment of `partner_id` as a partner for `external_id`; returns it and whether it is new.

    Raises:
        NotFound: either institution is unknown.
        ValueError: an unknown verdict, or an institution judged as its own partner.
    """
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}")
    if partner_id == external_id:
        raise ValueError("an institution is not its own partner")
    asker = get_institution(session, external_id)
    partner = get_institution(session, partner_id)
    row = session.scalar(
        select(Feedback).where(Feedback.institution_id == asker.id, Feedback.partner_id == partner.id)
    )
    created = row is None
    if created:
        row = Feedback(institution_id=asker.id, partner_id=partner.id)
        session.add(row)
    row.verdict, row.comment, row.given_by, row.updated_at = verdict, comment, given_by, utcnow()
    session.commit()
    return row, created


def of_institution(session: Session, external_id: str) -> list[Feedback]:
    """An institution's judgments, newest first.

    Raises:
        NotFound: the institution is unknown.
    """
    asker = get_institution(session, external_id)
    return list(
        session.scalars(
            select(Feedback)
            .where(Feedback.institution_id == asker.id)
            .order_by(Feedback.updated_at.desc(), Feedback.id.desc())
        )
    )


def dismissed(session: Session, external_id: str) -> tuple[str, ...]:
    """The partners an institution's staff marked as not relevant."""
    partner = Institution.__table__.alias("partner")
    asker = Institution.__table__.alias("asker")
    rows = session.execute(
        select(partner.c.external_id)
        .select_from(Feedback)
        .join(asker, asker.c.id == Feedback.institution_id)
        .join(partner, partner.c.id == Feedback.partner_id)
        .where(asker.c.external_id == external_id, Feedback.verdict == DISMISSED)
        .order_by(partner.c.external_id)
    )
    return tuple(rows.scalars())


def without_dismissed(session: Session, request: MatchRequest) -> MatchRequest:
    """An institution's request with the partners its staff marked as not relevant excluded."""
    if request.institution is None:
        return request
    hidden = dismissed(session, request.institution)
    if not hidden:
        return request
    exclude = tuple(sorted({*request.filters.exclude, *hidden}))
    return dataclasses.replace(request, filters=dataclasses.replace(request.filters, exclude=exclude))


def labelled_queries(session: Session) -> list[LabelledQuery]:
    """Every asking institution's judgments as one labelled query (ids `feedback-<external id>`).

    The split is fixed per institution (by a hash of its id), so learning on "learn" and
    checking on "check" never mixes an institution's judgments across the two.
    """
    by_asker: dict[str, dict[str, int]] = {}
    for row in session.scalars(select(Feedback)):
        by_asker.setdefault(row.institution.external_id, {})[row.partner.external_id] = VERDICTS[row.verdict]
    queries = []
    for asker, grades in sorted(by_asker.items()):
        if not any(grades.values()):
            continue  # nothing positive: nDCG is undefined
        queries.append(
            LabelledQuery(
                id=f"feedback-{asker}",
                split="check" if _stable_hash(asker) % 4 == 0 else "learn",
                relevance={p: g for p, g in grades.items() if g > 0},
                institution=asker,
                judged=frozenset(grades),
            )
        )
    return queries


def _stable_hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def describe(row: Feedback) -> dict[str, Any]:
    return {
        "institution": row.institution.external_id,
        "partner": row.partner.external_id,
        "verdict": row.verdict,
        "comment": row.comment,
        "given_by": row.given_by,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }
