"""Who may do what.

Four kinds of caller, told apart by the bearer token:
- the admin (`MATCHER_ADMIN_TOKEN`): imports and changes fiszki, rebuilds the index, issues
  staff tokens, reads personal contact data;
- contact readers (`MATCHER_CONTACT_TOKENS`): trusted portal back ends that show signed-in
  staff whom to call; they read personal contact data and change nothing;
- an institution's staff (a token the admin issued for it, `matcher.access`): they read
  personal contact data and replace or patch their own card, nothing else;
- everyone else: public card fields, suggestions and an institution's website.

Every answer that reveals personal contact data is written to the `matcher.audit` log
(who, a fingerprint of the token, never the token itself, the path and the institutions),
so the data controller can say who saw whose data (RODO art. 5(2), accountability).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import current_app, g, request

from matcher.access import staff_institution
from service.errors import APIError
from service.state import db_session

AUDIT = logging.getLogger("matcher.audit")


def init_audit(destination: str) -> None:
    """Send the audit log to a file, or to standard error for "-" (once per destination)."""
    AUDIT.setLevel(logging.INFO)
    if any(getattr(h, "matcher_destination", None) == destination for h in AUDIT.handlers):
        return
    handler = (
        logging.StreamHandler() if destination == "-" else logging.FileHandler(destination, encoding="utf-8")
    )
    handler.matcher_destination = destination
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    AUDIT.addHandler(handler)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _matches(given: str | None, expected: str | None) -> bool:
    return bool(expected and given and hmac.compare_digest(expected.encode(), given.encode()))


def is_admin() -> bool:
    """True only for a request carrying the configured admin token."""
    return _matches(_bearer(), current_app.config.get("ADMIN_TOKEN"))


def acts_as_admin() -> bool:
    """The admin token, or any request while no admin token is configured (development)."""
    return not current_app.config.get("ADMIN_TOKEN") or is_admin()


def caller_role() -> str:
    """ "admin", "contact_reader", "staff:<external id>" or "public" (worked out once a request)."""
    if "caller_role" not in g:
        g.caller_role = _role()
    return g.caller_role


def _role() -> str:
    if is_admin():
        return "admin"
    given = _bearer()
    if not given:
        return "public"
    readers = current_app.config.get("CONTACT_TOKENS") or ()
    # Every token is compared, so the time taken does not tell which one was close.
    if sum(_matches(given, token) for token in readers):
        return "contact_reader"
    institution = staff_institution(db_session(), given)
    return f"staff:{institution}" if institution else "public"


def may_edit(external_id: str) -> bool:
    """Whether this request may change this institution's card: the admin or its own staff."""
    if not current_app.config.get("ADMIN_TOKEN"):
        return True  # development: writes are open
    return caller_role() in ("admin", f"staff:{external_id}")


def may_see_contacts() -> bool:
    """Whether this request may read personal contact data (persons, e-mails, phones)."""
    return caller_role() != "public"


def reveal_contacts(records: dict[str, Any]) -> bool:
    """Whether this caller sees personal contact data; if so, audit the records (by id) that hold any."""
    personal = may_see_contacts()
    if personal:
        audit_contacts(
            i for i, r in records.items() if any((r.contact_person, r.contact_email, r.contact_phone))
        )
    return personal


def audit_contacts(external_ids: Iterable[str]) -> None:
    """Record that this request was shown the personal contact data of these institutions."""
    ids = sorted(set(external_ids))
    if not ids:
        return
    token = _bearer() or ""
    AUDIT.info(
        "contact data shown: role=%s token=%s %s %s institutions=%s",
        caller_role(),
        hashlib.sha256(token.encode()).hexdigest()[:12],
        request.method,
        request.path,
        ",".join(ids),
    )


def may_speak_for(external_id: str) -> bool:
    """Whether this request may give feedback for this institution: its editors or a portal back end."""
    return may_edit(external_id) or caller_role() == "contact_reader"


def _requires(allowed: Callable[[dict], bool], message: str, hint: str):
    """A view decorator refusing (401) requests for which `allowed(view kwargs)` is false."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not allowed(kwargs):
                raise APIError(401, "unauthorized", message, [{"field": "Authorization", "message": hint}])
            return view(*args, **kwargs)

        return wrapper

    return decorate


# Imports, deletes, reindexing, tokens: the admin (open in development, with no admin token).
admin_required = _requires(
    lambda _: acts_as_admin(),
    "This action needs the admin token.",
    "Bearer token required.",
)
# A write of one card (`external_id` in the path): the admin or that institution's staff.
editor_required = _requires(
    lambda kwargs: may_edit(kwargs["external_id"]),
    "Changing this card needs the admin token or a staff token of this institution.",
    "Bearer token of the admin or of this institution's staff.",
)
# Feedback on an institution's suggestions: its editors, or a portal back end on their behalf.
speaker_required = _requires(
    lambda kwargs: may_speak_for(kwargs["external_id"]),
    "Feedback for this institution needs a staff token of it, a contact-reader token or the admin token.",
    "Bearer token of this institution's staff, a portal back end or the admin.",
)
