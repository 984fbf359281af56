"""``/healthz`` reports each dependency as JSON: 200 while the app can serve, 503 without its database."""

from __future__ import annotations

from typing import Any

import pytest


def test_healthz_reports_every_dependency_ok_on_the_embedded_defaults(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {"status": "ok", "checks": {
        "database": {"status": "ok"},
        "task_queue": {"status": "ok", "mode": "inline"},
        "rate_limits": {"status": "ok", "storage": "disabled"},
        "email": {"status": "ok", "mode": "memory"},
    }}


class TestWithoutItsDatabase:
    @pytest.fixture
    def config_overrides(self) -> dict[str, Any]:
        return {"DATABASE_URL": "postgresql+psycopg://tandem:db-password-123@127.0.0.1:1/tandem",
                "SMTP_URL": "smtp://mailer:smtp-password-456@127.0.0.1:1", "RATELIMIT_ENABLED": True}

    def test_healthz_is_a_503_that_names_no_secret(self, client: Any) -> None:
        response = client.get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["status"] == "down"
        assert body["checks"]["database"]["status"] == "down"
        assert body["checks"]["email"] == {"status": "ok", "mode": "smtp"}
        text = response.get_data(as_text=True)
        for secret in ("db-password-123", "smtp-password-456", "tandem:", "mailer", "127.0.0.1"):
            assert secret not in text


@pytest.fixture
def unreachable_database_url() -> str:
    from tests.smtp import free_port

    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone?connect_timeout=2"


def test_pages_and_api_answer_503_with_retry_after_when_the_database_is_unreachable(
        unreachable_database_url: str) -> None:
    from coaching import create_app
    from coaching.config import TestConfig

    app = create_app(TestConfig(DATABASE_URL=unreachable_database_url, RATELIMIT_ENABLED=False))
    client = app.test_client()
    api = client.get("/api/v1/coaches/1/slots?session_type=consultation&start=2026-12-01&end=2026-12-02")
    assert api.status_code == 503
    assert api.headers["Retry-After"] == "30"
    assert api.get_json()["error"]["code"] == "tandem_is_busy_right"
    page = client.get("/coaches")
    assert page.status_code == 503
    body = page.get_data(as_text=True)
    assert "Nothing was changed" in body and "Traceback" not in body and "psycopg" not in body
