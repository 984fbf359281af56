"""Keep secrets out of access logs: token path segments and token query parameters.

Links in emails carry live tokens (``/account/reset/<token>``, ``/intake/join/<token>``,
``/bookings/manage/<token>`` ...). Werkzeug's development server and gunicorn write every
request line (gunicorn also the Referer) to their access logs, so a log reader could use
them. ``install(app)`` reads the URL map for rules whose variables name a secret and adds a
filter to the ``werkzeug`` and ``gunicorn.access`` loggers that rewrites those segments, and
any query parameter whose name says token/secret/key/signature/password, to ``[redacted]``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from flask import Flask

REDACTED = "[redacted]"
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")
SECRET_NAME = re.compile(r"token|secret|signature|password|key", re.IGNORECASE)
_SEGMENT = r"[^/?#\s\"']+"
_QUERY = re.compile(r"([?&;](?:[^=&#\s\"']*?(?:token|secret|signature|password|key)[^=&#\s\"']*)=)"
                    r"[^&#\s\"']*", re.IGNORECASE)
_RULE_PART = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def is_secret_name(name: str) -> bool:
    """A URL variable that holds a secret: ``token``, ``feed_secret`` ... (not ``token_id``)."""
    return bool(SECRET_NAME.search(name)) and not name.endswith("_id")


def secret_rule_patterns(rules: Iterable[str]) -> list[re.Pattern[str]]:
    """Regexes for each rule with a secret-named variable; the secret segments are groups.

    ``/intake/join/<token>/register`` -> ``/intake/join/([^/?#\\s"']+)/register``.
    """
    patterns = []
    for rule in rules:
        if not any(is_secret_name(name) for name in _RULE_PART.findall(rule)):
            continue
        regex, last = "", 0
        for match in _RULE_PART.finditer(rule):
            regex += re.escape(rule[last:match.start()])
            regex += f"({_SEGMENT})" if is_secret_name(match.group(1)) else _SEGMENT
            last = match.end()
        regex += re.escape(rule[last:])
        patterns.append(re.compile(regex))
    # Longest first, so /join/<token>/register wins over /join/<token>.
    return sorted(set(patterns), key=lambda p: len(p.pattern), reverse=True)


def redact(line: str, patterns: Iterable[re.Pattern[str]]) -> str:
    """``line`` with every secret path segment and secret query value replaced."""
    for pattern in patterns:
        line = pattern.sub(_blank_groups, line)
    return _QUERY.sub(lambda m: m.group(1) + REDACTED, line)


def _blank_groups(match: re.Match[str]) -> str:
    text, offset, start = match.group(0), match.start(0), 0
    out = []
    for index in range(1, (match.lastindex or 0) + 1):
        out.append(text[start:match.start(index) - offset])
        out.append(REDACTED)
        start = match.end(index) - offset
    out.append(text[start:])
    return "".join(out)


class AccessLogRedactor(logging.Filter):
    """A logging filter that rewrites a record's message with ``redact``; never drops one."""

    def __init__(self) -> None:
        super().__init__()
        self.patterns: list[re.Pattern[str]] = []

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as it is
            return True
        cleaned = redact(message, self.patterns)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_redactor = AccessLogRedactor()


def install(app: Flask) -> AccessLogRedactor:
    """Redact the secret routes of ``app`` (and of apps installed before) in access logs."""
    rules = [rule.rule for rule in app.url_map.iter_rules()]
    known = {p.pattern for p in _redactor.patterns}
    _redactor.patterns = sorted({*_redactor.patterns, *(p for p in secret_rule_patterns(rules)
                                                        if p.pattern not in known)},
                                key=lambda p: len(p.pattern), reverse=True)
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if _redactor not in logger.filters:
            logger.addFilter(_redactor)
    return _redactor
