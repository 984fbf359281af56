"""Coaches and session types for the matching tests (functional and browser alike)."""

from __future__ import annotations

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
EVERY_WEEKDAY = {d: [["08:00", "20:00"]] for d in WEEKDAYS}


def coach(email: str, name: str, **kw: object) -> dict[str, object]:
    spec: dict[str, object] = {
        "email": email, "name": name, "timezone": "America/New_York", "languages": ["en"],
        "specialties": ["communication"], "approaches": ["gottman"], "formats": ["video"],
        "accepting_new": True, "safety_trained": False, "max_active_couples": 10, "bio": "",
        "weekly_hours": EVERY_WEEKDAY, "session_types": ["welcome", "consultation", "couples-session"]}
    spec.update(kw)
    return spec


CATALOG = {
    "session_types": [
        {"slug": "welcome", "name": "Welcome call", "duration_min": 30, "price_cents": 0,
         "currency": "usd", "kind": "individual", "min_notice_hours": 12, "horizon_days": 60},
        {"slug": "consultation", "name": "Free consultation", "duration_min": 20, "price_cents": 0,
         "currency": "usd", "kind": "joint", "min_notice_hours": 12, "horizon_days": 60},
        {"slug": "couples-session", "name": "Couples session", "duration_min": 50, "price_cents": 15000,
         "currency": "usd", "kind": "joint"},
        {"slug": "individual-session", "name": "Individual session", "duration_min": 50, "price_cents": 12000,
         "currency": "usd", "kind": "individual", "min_notice_hours": 12},
    ],
    "coaches": [
        coach("ana@example.com", "Ana Ruiz", languages=["en", "es"], specialties=["infidelity", "trust"],
              safety_trained=True, session_types=["welcome", "consultation", "couples-session", "individual-session"]),
        coach("noah@example.com", "Noah Berg", specialties=["infidelity", "communication"], safety_trained=True),
        coach("priya@example.com", "Priya Shah", timezone="America/Chicago", specialties=["trust"]),
        coach("dana@example.com", "Dana Lee", timezone="America/Los_Angeles", specialties=["conflict"]),
        coach("james@example.com", "James Okafor", timezone="Europe/London"),
        coach("closed@example.com", "Closed Coach", specialties=["infidelity", "trust", "communication"],
              accepting_new=False),
        coach("french@example.com", "Solo Francais", languages=["fr"], specialties=["infidelity"]),
        coach("tara@example.com", "Tara Trained", specialties=["conflict"], safety_trained=True,
              session_types=["welcome", "individual-session"]),
    ],
}
