"""Staff tokens: who may keep which institution's card current (no Flask).

An admin issues a token for an institution's staff; with it they read contact data like a
portal back end, and change their own card (replace or patch it), nothing else. A token
expires (a year by default) and can be revoked at any time. A token is
32 random bytes; the database keeps only its SHA-256, so a leaked database leaks no token.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from matcher.models import Institution, StaffToken, utcnow
from matcher.registry import get_institution

# Staff tokens start with this, so one is recognised in a log or a leaked file.
PREFIX = "mps_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# A staff token lasts this long unless the admin asks otherwise: people change jobs.
DEFAULT_DAYS = 365
MAX_DAYS = 3 * 365


def issue_token(
    session: Session, external_id: str, label: str, days: int = DEFAULT_DAYS
) -> tuple[StaffToken, str]:
    """A new token for an institution's staff, valid for `days`: the row and the token (shown once).

    Raises:
        NotFound: no such institution.
        ValueError: `days` outside 1..MAX_DAYS.
    """
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"a staff token lasts 1 to {MAX_DAYS} days")
    institution = get_institution(session, external_id)
    token = PREFIX + secrets.token_urlsafe(32)
    row = StaffToken(
        institution_id=institution.id,
        token_hash=_digest(token),
        label=label,
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(row)
    session.commit()
    return row, token


def list_tokens(session: Session, external_id: str) -> list[StaffToken]:
    """An institution's tokens, revoked ones included, oldest first (never the tokens themselves)."""
    institution = get_institution(session, external_id)
    return list(
        session.scalars(
            select(StaffToken).where(StaffToken.institution_id == institution.id).order_by(StaffToken.id)
        )
    )


def revoke_token(session: Session, token_id: int) -> StaffToken | None:
    """Revoke a token for good (revoking twice keeps the first time); None if there is no such token."""
    # Ids beyond a 32-bit integer (the id column on PostgreSQL) name no token; asking would fail.
    row = session.get(StaffToken, token_id) if 0 < token_id < 2**31 else None
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.commit()
    return row


def staff_institution(session: Session, token: str) -> str | None:
    """The external id of the institution whose live staff token this is, else None."""
    if not token.startswith(PREFIX):
        return None
    return session.scalar(
        select(Institution.external_id)
        .join(StaffToken, StaffToken.institution_id == Institution.id)
        .where(
            StaffToken.token_hash == _digest(token),
            StaffToken.revoked_at.is_(None),
            or_(StaffToken.expires_at.is_(None), StaffToken.expires_at > utcnow()),
        )
    )


def describe(row: StaffToken) -> dict[str, Any]:
    """A token as listed: never the token itself."""
    return {
        "id": row.id,
        "institution": row.institution.external_id,
        "label": row.label,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
    }
