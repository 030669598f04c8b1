"""Who may do what: admin actions and personal contact data need the admin token."""

from __future__ import annotations

import functools
import hmac

from flask import current_app, request

from service.errors import APIError


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def is_admin() -> bool:
    """True only for a request carrying the configured admin token."""
    expected = current_app.config.get("ADMIN_TOKEN")
    given = _bearer()
    return bool(expected and given and hmac.compare_digest(expected, given))


def admin_required(view):
    """Refuse a view to callers without the admin token (when one is configured)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_app.config.get("ADMIN_TOKEN") and not is_admin():
            raise APIError(
                401,
                "unauthorized",
                "This action needs the admin token.",
                [{"field": "Authorization", "message": "Bearer token required."}],
            )
        return view(*args, **kwargs)

    return wrapper
