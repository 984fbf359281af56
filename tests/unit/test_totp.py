"""TOTP codes on plain values: the ±1 step window, replay by step, recovery code shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp

from coaching.twofactor import totp

NOW = datetime(2026, 11, 2, 15, 0, 10, tzinfo=UTC)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_the_code_is_what_an_authenticator_app_shows() -> None:
    assert totp.code_at(SECRET, NOW) == pyotp.TOTP(SECRET).at(NOW)
    uri = totp.provisioning_uri(SECRET, "ana@example.com")
    assert uri.startswith("otpauth://totp/Tandem:ana%40example.com?") and f"secret={SECRET}" in uri
    assert "issuer=Tandem" in uri


def test_a_code_is_valid_one_step_either_side_and_not_two() -> None:
    step = totp.step_at(NOW)
    for offset in (-1, 0, 1):
        code = totp.code_at(SECRET, NOW + timedelta(seconds=30 * offset))
        assert totp.matching_step(SECRET, code, NOW, None) == step + offset
    for offset in (-2, 2, -10):
        code = totp.code_at(SECRET, NOW + timedelta(seconds=30 * offset))
        assert totp.matching_step(SECRET, code, NOW, None) is None, offset


def test_a_code_for_a_step_already_used_or_older_is_refused() -> None:
    step = totp.step_at(NOW)
    code = totp.code_at(SECRET, NOW)
    assert totp.matching_step(SECRET, code, NOW, step - 1) == step
    assert totp.matching_step(SECRET, code, NOW, step) is None
    earlier = totp.code_at(SECRET, NOW - timedelta(seconds=30))
    assert totp.matching_step(SECRET, earlier, NOW, step) is None
    later = totp.code_at(SECRET, NOW + timedelta(seconds=30))
    assert totp.matching_step(SECRET, later, NOW, step) == step + 1


def test_malformed_codes_are_refused_without_error() -> None:
    for code in ("", "12345", "1234567", "abcdef", "１２３４５６", "12 34 5", "\x00" * 6, "9" * 300):
        assert totp.matching_step(SECRET, code, NOW, None) is None, code
    code = totp.code_at(SECRET, NOW)
    assert totp.matching_step(SECRET, f" {code[:3]} {code[3:]} ", NOW, None) == totp.step_at(NOW)


def test_recovery_codes_are_random_single_strings_whose_digest_ignores_formatting() -> None:
    codes = totp.new_recovery_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        assert len(code) == 19 and code.count("-") == 3 and totp.looks_like_recovery_code(code)
        assert totp.recovery_digest(code) == totp.recovery_digest(code.upper().replace("-", " "))
        assert code not in totp.recovery_digest(code)
    assert not totp.looks_like_recovery_code("123456")


def test_new_secrets_differ_and_are_base32_of_160_bits() -> None:
    secrets = {totp.new_secret() for _ in range(20)}
    assert len(secrets) == 20
    assert all(len(s) == 32 and set(s) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for s in secrets)
