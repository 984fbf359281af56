"""Tandem: booking and intake for couples coaching."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from coaching.config import Config, TestConfig

__all__ = ["create_app", "Config", "TestConfig"]


def create_app(config: Config | dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, database, blueprints, errors, CLI."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static",
                instance_relative_config=False)
    register_config(app, config)
    register_proxy(app)
    register_logging(app)
    register_request_validation(app)
    register_database(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_templates(app)
    register_cli(app)
    register_access_log(app)
    return app


def register_config(app: Flask, config: Config | dict[str, Any] | None) -> None:
    if config is None:
        config = Config()
    if isinstance(config, Config):
        config.validate()
        app.config.from_mapping(config.as_dict())
    else:
        base = Config()
        base.validate()
        app.config.from_mapping({**base.as_dict(), **config})
    if app.config.get("PASSWORD_HASH_FAST"):
        from coaching.accounts.passwords import use_fast_hashing

        use_fast_hashing(True)


def register_proxy(app: Flask) -> None:
    """Behind ``TRUSTED_PROXY_COUNT`` proxies, take the client's address and scheme from the
    ``X-Forwarded-*`` headers they append (rate limits key on that address); with 0, the
    default, those headers are ignored, so a client cannot pick the address it is limited as."""
    count = int(app.config.get("TRUSTED_PROXY_COUNT", 0))
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def register_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("tandem").setLevel(logging.INFO)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_request_validation(app: Flask) -> None:
    """Bounded ``<int:>`` ids and the control-character check; first, so every route and view gets them."""
    from coaching import validation

    validation.register(app)


def register_database(app: Flask) -> None:
    from coaching import db
    from coaching import models  # noqa: F401  (every model registered on Base.metadata)

    db.init_engine(app.config["DATABASE_URL"], **db.pool_options(app.config))

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        db.session.remove()


def register_extensions(app: Flask) -> None:
    from coaching import queue
    from coaching.extensions import csrf, limiter, login_manager

    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    queue.configure(app.config)
    from coaching.scheduling import slot_cache

    slot_cache.install(app)  # a new app (and in tests, a new database) starts with no cached slots
    queue.set_app_factory(lambda: app)


def register_blueprints(app: Flask) -> None:
    from coaching.accounts.views import bp as accounts_bp
    from coaching.admin.views import bp as admin_bp
    from coaching.api.views import bp as api_bp
    from coaching.audit.views import bp as audit_bp
    from coaching.coaches.views import bp as coaches_bp
    from coaching.homework.views import bp as homework_bp
    from coaching.intake.views import bp as intake_bp
    from coaching.matching.views import bp as matching_bp
    from coaching.notes.views import bp as notes_bp
    from coaching.payments.views import bp as payments_bp
    from coaching.public.views import bp as public_bp
    from coaching.scheduling.views import bp as scheduling_bp
    from coaching.security import register_security_headers

    for bp in (public_bp, accounts_bp, coaches_bp, admin_bp, intake_bp, scheduling_bp,
               payments_bp, matching_bp, api_bp, homework_bp):
        app.register_blueprint(bp)
    app.register_blueprint(notes_bp)
    app.register_blueprint(audit_bp)
    from coaching.checkins.views import bp as checkins_bp

    app.register_blueprint(checkins_bp)
    from coaching.exports.views import admin_bp as exports_admin_bp, bp as exports_bp

    app.register_blueprint(exports_bp)
    app.register_blueprint(exports_admin_bp)
    from coaching.accounts.profile import bp as profile_bp

    app.register_blueprint(profile_bp)
    from coaching.erasure.views import bp as erasure_bp

    app.register_blueprint(erasure_bp)
    from coaching.feeds.views import bp as feeds_bp

    app.register_blueprint(feeds_bp)
    from coaching.calendars.views import bp as calendars_bp

    app.register_blueprint(calendars_bp)
    from coaching.series.api import bp as series_api_bp
    from coaching.series.views import bp as series_bp

    app.register_blueprint(series_bp)
    app.register_blueprint(series_api_bp)
    from coaching.reminders.views import bp as notifications_bp

    app.register_blueprint(notifications_bp)
    from coaching.twofactor.views import bp as two_factor_bp

    app.register_blueprint(two_factor_bp)
    register_security_headers(app)


def register_errorhandlers(app: Flask) -> None:
    from coaching.errors import register

    register(app)


def register_templates(app: Flask) -> None:
    from coaching import templating

    templating.register(app)


def register_access_log(app: Flask) -> None:
    """Tokens in URLs never reach the access log (after every blueprint is registered)."""
    from coaching import access_log

    access_log.install(app)


def register_cli(app: Flask) -> None:
    from coaching import cli

    cli.register(app)
