"""HTTP views, one module per resource."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from service.views import admin, institutions, match

    app.register_blueprint(institutions.bp)
    app.register_blueprint(match.bp)
    app.register_blueprint(admin.bp)
