"""Check-ins: each partner privately re-takes the CSI-4 and the safety screen over time.

The coach sends a check-in (or the practice sets one every N completed joint sessions,
``CHECKIN_EVERY_SESSIONS``); the coach sees both partners' trend as a server-rendered SVG
chart, each partner only their own. Signal receivers connect when ``views`` is imported.
"""
