"""The HTTP service: app factory, schemas, views, errors and the `matcher` CLI."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from matcher import jsontext
from service import config as settings


class JSONProvider(DefaultJSONProvider):
    """Request bodies are read through `matcher.jsontext`: too deep or unstorable text is refused."""

    ensure_ascii = False
    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return jsontext.loads(s)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the Flask app: defaults, then MATCHER_* environment, then `test_config`."""
    app = Flask(__name__, instance_relative_config=True)
    app.json = JSONProvider(app)
    # "/institutions/%2F/feedback" is not "/institutions/feedback": no redirect (an HTML page), a JSON 404.
    app.url_map.merge_slashes = False
    app.config.from_mapping(settings.from_environment())
    if test_config:
        app.config.from_mapping(test_config)
    settings.resolve_paths(app.config, app.instance_path)

    from service import auth, cli, errors, state, views

    auth.init_audit(app.config["AUDIT_LOG"])
    state.init_app(app)
    errors.init_app(app)
    views.init_app(app)
    cli.init_app(app)
    return app
