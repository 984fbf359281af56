"""Who sees what of a shared summary, and the shape of acceptable text. Plain values only.

A summary's audience is either the whole couple (a joint session: ``audience`` is None) or one
partner's seat (an individual session). A partner sees a summary when it is for the couple or
for them; they see a reflection on it when they see the summary and either wrote the
reflection or its author shared it. The coach of the couple sees everything.
"""

from __future__ import annotations

__pure__ = True

SUMMARY_MAX = 10_000
ITEM_MAX = 1_000
ITEMS_MAX = 10
REFLECTION_MAX = 5_000

COACH_ONLY = "coach"
SHARED = "shared"

# Control characters other than newline and tab have no place in prose and would not survive
# every database and mail client intact.
_ALLOWED_CONTROLS = {"\n", "\t"}


class InvalidText(ValueError):
    """Text that cannot be stored; ``field`` names the form field, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def clean_text(value: str | None, *, field: str, limit: int, label: str) -> str:
    """``value`` with line endings unified and outer blanks trimmed.

    Raises ``InvalidText`` when it is empty, longer than ``limit`` characters or holds
    control characters.
    """
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise InvalidText(field, f"Please write the {label}.")
    if len(text) > limit:
        raise InvalidText(field, f"The {label} is too long: at most {limit:,} characters, please.")
    if any(ord(c) < 32 and c not in _ALLOWED_CONTROLS or c == "\x7f" for c in text):
        raise InvalidText(field, f"The {label} contains characters we cannot store.")
    return text


def homework_items(value: str | None, *, field: str = "homework") -> list[str]:
    """The homework items of a text written one per line (blank lines skipped).

    Raises ``InvalidText`` for no item, more than ``ITEMS_MAX`` items or an item longer than
    ``ITEM_MAX`` characters.
    """
    text = clean_text(value, field=field, limit=ITEMS_MAX * (ITEM_MAX + 1), label="homework")
    items = [line.strip() for line in text.split("\n") if line.strip()]
    if len(items) > ITEMS_MAX:
        raise InvalidText(field, f"At most {ITEMS_MAX} homework items, one per line, please.")
    for n, item in enumerate(items, start=1):
        if len(item) > ITEM_MAX:
            raise InvalidText(field, f"Homework item {n} is too long: at most {ITEM_MAX:,} characters, please.")
    return items


def partner_sees_summary(audience: int | None, viewer: int) -> bool:
    """Whether the partner seat ``viewer`` may see a summary for ``audience`` (None: the couple)."""
    return audience is None or audience == viewer


def partner_sees_reflection(audience: int | None, author: int, shared: str, viewer: int) -> bool:
    """Whether partner ``viewer`` may see a reflection by ``author`` (visibility ``shared``) on a
    summary for ``audience``: never without the summary; their own always; the other's only
    when shared."""
    if not partner_sees_summary(audience, viewer):
        return False
    return author == viewer or shared == SHARED


def reflection_choices(individual: bool) -> tuple[str, ...]:
    """The visibilities a partner may choose: an individual session's summary is theirs alone,
    so a reflection on it can only be for the coach."""
    return (COACH_ONLY,) if individual else (COACH_ONLY, SHARED)
