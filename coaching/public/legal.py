"""The practice's terms of service and privacy notice: editable text with a built-in default. Pure.

The text is plain: a blank line starts a new paragraph, a line starting ``# `` is a heading.
It is escaped when shown, so an edited file cannot put markup or script on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

__pure__ = True

DEFAULT_TERMS = """# Terms of service

Tandem offers couples coaching: structured conversations with a trained coach about your relationship. Coaching is not therapy, medical care or crisis care.

# Your account

Each partner has their own login and keeps it to themselves. You agree to give true information and to use Tandem only for yourselves.

# Sessions, payments and cancellations

Sessions are booked online. A paid session is paid when it is booked, or by invoice when the practice sends one. Cancelling in time returns the full amount or the package credit; a late cancellation is refunded in part, as the cancellation page shows before you confirm. Your coach may cancel a session; you then get everything back.

# Safety

If you are in danger, call your local emergency number. Your coach may pause joint sessions when safety comes first.

# Changes

We tell you when these terms change. The practice can edit this page."""

DEFAULT_PRIVACY = """# Privacy notice

We keep what you tell us to arrange and give your coaching, and nothing more.

# What each person sees

Your shared answers are seen by both of you, your coach and our administrators. Your private part and your safety answers are seen only by you, your coach and our administrators: never by your partner. Your coach's notes are private to your coach.

# How we protect it

Sensitive answers and notes are encrypted in our database. Emails are kept only until they are sent. Payments are handled by our payment provider; we never see card numbers.

# Your rights

You may ask for a copy of what we hold about you, ask us to correct it, or ask us to delete it, by writing to the practice.

# Changes

We tell you when this notice changes. The practice can edit this page."""


@dataclass(frozen=True)
class Block:
    heading: bool
    text: str


def blocks(text: str) -> list[Block]:
    """Headings and paragraphs of plain ``text`` (blank lines separate them)."""
    out = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        chunk = chunk.strip()
        if not chunk:
            continue
        if chunk.startswith("# ") and "\n" not in chunk:
            out.append(Block(True, chunk[2:].strip()))
        else:
            out.append(Block(False, " ".join(line.strip() for line in chunk.splitlines())))
    return out
