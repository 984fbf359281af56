"""The intake questionnaire as data, one definition per version. Pure: no framework.

Answers are stored together with the version they were given against, so changing the
questions (a new entry in ``QUESTIONNAIRES``) never changes what an old intake means.
Only the current version accepts new answers; ``validate`` turns submitted form values
into clean answers or raises ``AnswersInvalid`` with one message per question.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__pure__ = True

CURRENT_VERSION = 1
TEXT_MAX = 200
LONG_TEXT_MAX = 4000

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")))
# Time-of-day blocks of the weekly free-time grid, in the partner's own zone.
BLOCKS = (
    ("early", "06:00", "09:00", "Early morning (6-9)"),
    ("morning", "09:00", "12:00", "Morning (9-12)"),
    ("midday", "12:00", "14:00", "Midday (12-2)"),
    ("afternoon", "14:00", "17:00", "Afternoon (2-5)"),
    ("evening", "17:00", "20:00", "Evening (5-8)"),
    ("late", "20:00", "23:00", "Late evening (8-11)"),
)

YES_NO = (("yes", "Yes"), ("no", "No"))
LANGUAGES = (("en", "English"), ("es", "Spanish"), ("fr", "French"), ("de", "German"),
             ("pt", "Portuguese"), ("it", "Italian"), ("zh", "Chinese"), ("ja", "Japanese"),
             ("ko", "Korean"), ("ar", "Arabic"), ("hi", "Hindi"), ("ru", "Russian"),
             ("nl", "Dutch"), ("pl", "Polish"), ("tr", "Turkish"))
APPROACHES = (("gottman", "Gottman method"), ("eft", "Emotionally focused (EFT)"), ("imago", "Imago"),
              ("solution_focused", "Solution-focused"))
GENDERS = (("female", "Woman"), ("male", "Man"), ("non_binary", "Non-binary"))
CONCERNS = (("infidelity", "Emotional infidelity or affair recovery"), ("communication", "Communication"),
            ("trust", "Trust"), ("intimacy", "Intimacy"), ("conflict", "Conflict"),
            ("parenting", "Parenting"), ("life_transitions", "Life transitions"),
            ("separation", "Considering separation"), ("other", "Something else"))


class AnswersInvalid(ValueError):
    """Submitted answers break the questionnaire's rules; ``errors`` maps question key to message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


class UnknownVersion(ValueError):
    """The version is not one this questionnaire accepts answers for."""


@dataclass(frozen=True)
class Question:
    key: str
    kind: str  # text | long_text | choice | multi | ranked | grid | zone
    label: str
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = True
    help: str = ""
    max_length: int = 0

    @property
    def limit(self) -> int:
        return self.max_length or (LONG_TEXT_MAX if self.kind == "long_text" else TEXT_MAX)

    def choice_label(self, value: str) -> str:
        return dict(self.choices).get(value, value)


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    intro: str
    questions: tuple[Question, ...]
    # Shown only when another shared step's answer contains a value: (step, question, value).
    only_when: tuple[str, str, str] | None = None

    def question(self, key: str) -> Question:
        return next(q for q in self.questions if q.key == key)


@dataclass(frozen=True)
class Questionnaire:
    version: int
    shared: tuple[Step, ...]
    personal: Step  # each partner's own, visible to both: where and when they are free
    private: tuple[Step, ...]
    safety: Step
    steps: dict[str, Step] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        all_steps = (*self.shared, self.personal, *self.private, self.safety)
        object.__setattr__(self, "steps", {s.key: s for s in all_steps})

    def step(self, key: str) -> Step:
        """The step named ``key``; ``KeyError`` for an unknown one."""
        return self.steps[key]

    def shared_steps_for(self, answers: Mapping[str, Mapping[str, Any]]) -> list[Step]:
        """The shared steps that apply, given the shared answers so far ({step: answers})."""
        out = []
        for step in self.shared:
            if step.only_when is not None:
                s, q, v = step.only_when
                if v not in (answers.get(s, {}).get(q) or ()):
                    continue
            out.append(step)
        return out


def _scale(labels: Sequence[str]) -> tuple[tuple[str, str], ...]:
    return tuple((str(i), label) for i, label in enumerate(labels))


PREFER_NOT = ("prefer_not", "I'd rather not say")

V1 = Questionnaire(
    version=1,
    shared=(
        Step("about", "About the two of you", "Names as you would like the coach to use them.", (
            Question("partner_a_name", "text", "First partner's name", max_length=80),
            Question("partner_a_pronouns", "text", "First partner's pronouns", required=False, max_length=40,
                     help="For example she/her, he/him, they/them."),
            Question("partner_b_name", "text", "Second partner's name", max_length=80),
            Question("partner_b_pronouns", "text", "Second partner's pronouns", required=False, max_length=40),
            Question("together_for", "choice", "How long have you been together?", (
                ("lt1", "Less than a year"), ("1to3", "1 to 3 years"), ("3to10", "3 to 10 years"),
                ("10plus", "More than 10 years"))),
            Question("living_together", "choice", "Do you live together?", (
                ("yes", "Yes"), ("no", "No"), ("partly", "Part of the time"))),
            Question("children", "choice", "Children", (
                ("none", "No children"), ("at_home", "Children living at home"),
                ("grown", "Grown children"), ("expecting", "Expecting"))),
        )),
        Step("concerns", "What brings you here",
             "Number the topics that matter, 1 for the most important. Leave the others blank.", (
                 Question("concerns", "ranked", "Topics", CONCERNS),
                 Question("other_concern", "text", "If something else, what?", required=False, max_length=200),
             )),
        Step("infidelity", "About the affair",
             "Only a few questions, at your own pace. Each has an option not to say.", (
                 Question("kind", "choice", "Was it emotional, physical, or both?", (
                     ("emotional", "Emotional"), ("physical", "Physical"), ("both", "Both"), PREFER_NOT)),
                 Question("ongoing", "choice", "Is it still going on?", (
                     ("no", "No"), ("yes", "Yes"), ("unsure", "Not sure"), PREFER_NOT)),
                 Question("came_to_light", "choice", "How did it come to light?", (
                     ("told", "It was told"), ("discovered", "It was discovered"), PREFER_NOT)),
                 Question("how_long_ago", "choice", "How long ago did it come to light?", (
                     ("lt1m", "Less than a month"), ("1to6m", "1 to 6 months"), ("6to12m", "6 to 12 months"),
                     ("gt1y", "More than a year"), PREFER_NOT)),
             ), only_when=("concerns", "concerns", "infidelity")),
        Step("goals", "Your goals", "In your own words: what would you like to be different?", (
            Question("goals", "long_text", "Our goals"),
        )),
        Step("preferences", "Your coach", "What matters to you in a coach. All optional: leave any question unanswered for no preference.", (
            Question("coach_gender", "choice", "Coach's gender", (("any", "No preference"), *GENDERS), required=False),
            Question("coach_language", "choice", "Language of the sessions", (("any", "No preference"), *LANGUAGES), required=False),
            Question("faith_based", "choice", "Faith-based coaching", (
                ("any", "No preference"), ("yes", "Yes, please"), ("no", "No, please")), required=False),
            Question("lgbtq_affirming", "choice", "LGBTQ+ affirming coach", (
                ("any", "No preference"), ("yes", "Important to us")), required=False),
            Question("approach", "choice", "Approach", (("any", "No preference / not sure"), *APPROACHES), required=False),
            Question("format", "choice", "Sessions", (
                ("either", "Either"), ("video", "By video"), ("in_person", "In person")), required=False),
            Question("budget", "choice", "Budget per session", (
                ("10000", "Up to $100"), ("15000", "Up to $150"), ("20000", "Up to $200"),
                ("30000", "Up to $300"), ("any", "No fixed limit")), required=False),
        )),
    ),
    personal=Step("you", "Where you are and when you are free",
                  "Each of you fills this in for yourselves, in your own time zone.", (
                      Question("country", "text", "Country you live in", max_length=80),
                      Question("timezone", "zone", "Your time zone"),
                      Question("languages", "multi", "Languages you are comfortable in", LANGUAGES),
                      Question("free_times", "grid", "When are you usually free?",
                               help="Tick every block that usually works for you."),
                  )),
    private=(
        Step("view", "Your own view",
             "Only you, your coach and our admins can read this. Your partner never sees it.", (
                 Question("what_is_happening", "long_text", "What is happening in your relationship, as you see it?"),
                 Question("hopes", "long_text", "What do you hope for?"),
                 Question("commitment", "choice", "Where are you right now?", (
                     ("stay", "I want us to stay together"), ("unsure", "I am not sure"),
                     ("leaning_out", "I am leaning towards separating"), PREFER_NOT)),
                 Question("for_coach", "long_text", "Anything else your coach should know?", required=False),
             )),
        Step("satisfaction", "How satisfied you are",
             "Four short questions (the Couples Satisfaction Index, CSI-4). Private to you and your coach.", (
                 Question("csi1", "choice", "Please indicate the degree of happiness, all things considered, "
                          "of your relationship.", _scale(("Extremely unhappy", "Fairly unhappy", "A little unhappy",
                                                           "Happy", "Very happy", "Extremely happy", "Perfect"))),
                 Question("csi2", "choice", "I have a warm and comfortable relationship with my partner.",
                          _scale(("Not at all true", "A little true", "Somewhat true", "Mostly true",
                                  "Almost completely true", "Completely true"))),
                 Question("csi3", "choice", "How rewarding is your relationship with your partner?",
                          _scale(("Not at all", "A little", "Somewhat", "Mostly", "Almost completely", "Completely"))),
                 Question("csi4", "choice", "In general, how satisfied are you with your relationship?",
                          _scale(("Not at all", "A little", "Somewhat", "Mostly", "Almost completely", "Completely"))),
             )),
    ),
    safety=Step("safety", "Your safety",
                "Every couple is asked these questions. Your answers are never shown to your partner.", (
                    Question("fear", "choice", "Are you ever afraid of your partner?", (
                        ("never", "Never"), ("sometimes", "Sometimes"), ("often", "Often"))),
                    Question("physical_harm", "choice", "In the past year, has your partner hit, pushed, "
                             "choked or otherwise physically hurt you?", YES_NO),
                    Question("threats", "choice", "Has your partner threatened to hurt you, someone close to "
                             "you, or themselves?", YES_NO),
                    Question("monitoring", "choice", "Does your partner check your phone, messages or "
                             "whereabouts against your wishes?", YES_NO),
                    Question("money", "choice", "Does your partner control your access to money in a way "
                             "you did not agree to?", YES_NO),
                    Question("isolation", "choice", "Does your partner try to keep you from seeing friends "
                             "or family?", YES_NO),
                    Question("forced_sex", "choice", "Has your partner pressured or forced you into sexual "
                             "activity you did not want?", YES_NO),
                    Question("self_harm", "choice", "In the past month, have you had thoughts of harming "
                             "yourself or ending your life?", YES_NO),
                )),
)

QUESTIONNAIRES: dict[int, Questionnaire] = {1: V1}


def questionnaire(version: int = CURRENT_VERSION) -> Questionnaire:
    """The questionnaire of ``version``; ``UnknownVersion`` if there is none."""
    try:
        return QUESTIONNAIRES[version]
    except (KeyError, TypeError) as exc:
        raise UnknownVersion(f"unknown questionnaire version {version!r}") from exc


def accepted_version(raw: object) -> int:
    """The submitted version if new answers may be given against it; else ``UnknownVersion``.

    Only the current version accepts answers: a form opened before the questions changed,
    or a tampered number, is refused rather than stored under the wrong questions.
    """
    text = str(raw or "").strip()
    if not text.isdigit() or int(text) != CURRENT_VERSION:
        raise UnknownVersion("This questionnaire has changed since the page was opened. "
                             "Please reload the page and answer again.")
    return CURRENT_VERSION


# --- validation ------------------------------------------------------------------------------


def _clean_text(q: Question, values: Sequence[str]) -> str:
    value = (values[0] if values else "").replace("\r\n", "\n").strip()
    if len(value) > q.limit:
        raise ValueError(f"Please keep this under {q.limit} characters (it has {len(value)}).")
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise ValueError("This contains characters we cannot store; please retype it.")
    if q.kind == "text" and "\n" in value:
        raise ValueError("Please keep this to one line.")
    return value


def _clean_choice(q: Question, values: Sequence[str]) -> str:
    value = (values[0] if values else "").strip()
    if value and value not in dict(q.choices):
        raise ValueError("Please choose one of the options shown.")
    return value


def _clean_multi(q: Question, values: Sequence[str]) -> list[str]:
    allowed = [c for c, _ in q.choices]
    chosen = {v.strip() for v in values if v.strip()}
    if chosen - set(allowed):
        raise ValueError("Please choose from the options shown.")
    return [c for c in allowed if c in chosen]


def _clean_ranked(q: Question, form: Mapping[str, Sequence[str]]) -> list[str]:
    ranks: dict[str, int] = {}
    for choice, _label in q.choices:
        raw = (form.get(f"{q.key}-{choice}") or [""])[0].strip()
        if not raw:
            continue
        if not raw.isdigit() or not 1 <= int(raw) <= len(q.choices):
            raise ValueError(f"Use numbers from 1 to {len(q.choices)}.")
        ranks[choice] = int(raw)
    if len(set(ranks.values())) != len(ranks):
        raise ValueError("Give each topic its own number (no two the same).")
    return sorted(ranks, key=ranks.__getitem__)


def _clean_grid(q: Question, values: Sequence[str]) -> dict[str, list[list[str]]]:
    blocks = {b[0] for b in BLOCKS}
    selected = set()
    for value in values:
        day, _, block = value.partition("-")
        if day not in DAYS or block not in blocks:
            raise ValueError("Please tick blocks from the grid shown.")
        selected.add((day, block))
    return free_times_from_blocks(selected)


def validate(step: Step, form: Mapping[str, Sequence[str]],
             zone_is_valid: Any = lambda z: bool(z)) -> dict[str, Any]:
    """Clean answers for ``step`` from submitted values (key -> list of strings).

    Keys the step does not ask are ignored. Raises ``AnswersInvalid`` (nothing is partly
    accepted) when a required answer is missing, a text is too long or has control
    characters, or a choice is not one of the step's own.
    """
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for q in step.questions:
        values = form.get(q.key) or []
        try:
            if q.kind in ("text", "long_text"):
                value: Any = _clean_text(q, values)
            elif q.kind == "choice":
                value = _clean_choice(q, values)
            elif q.kind == "multi":
                value = _clean_multi(q, values)
            elif q.kind == "ranked":
                value = _clean_ranked(q, form)
            elif q.kind == "grid":
                value = _clean_grid(q, values)
            elif q.kind == "zone":
                value = (values[0] if values else "").strip()
                if value and not zone_is_valid(value):
                    raise ValueError("Choose a time zone from the list.")
            else:  # pragma: no cover - a definition error, caught by the unit tests
                raise ValueError(f"unknown kind {q.kind}")
        except ValueError as exc:
            errors[q.key] = str(exc)
            continue
        if q.required and not value:
            errors[q.key] = "Please answer this question." if q.kind != "ranked" else \
                "Please number at least one topic."
            continue
        answers[q.key] = value
    if errors:
        raise AnswersInvalid(errors)
    return answers


# --- the free-time grid ----------------------------------------------------------------------


def free_times_from_blocks(selected: Iterable[tuple[str, str]]) -> dict[str, list[list[str]]]:
    """Weekly free times {"mon": [["17:00", "23:00"]]} from ticked (day, block) pairs.

    Adjacent blocks merge into one range; days without a tick are left out.
    """
    chosen = set(selected)
    out: dict[str, list[list[str]]] = {}
    for day in DAYS:
        ranges: list[list[str]] = []
        for key, start, end, _label in BLOCKS:
            if (day, key) not in chosen:
                continue
            if ranges and ranges[-1][1] == start:
                ranges[-1][1] = end
            else:
                ranges.append([start, end])
        if ranges:
            out[day] = ranges
    return out


def blocks_from_free_times(free_times: Mapping[str, Sequence[Sequence[str]]]) -> set[tuple[str, str]]:
    """The grid blocks fully inside the given free times (to show a saved grid again)."""
    out = set()
    for day, ranges in (free_times or {}).items():
        for key, start, end, _label in BLOCKS:
            if any(r[0] <= start and end <= r[1] for r in ranges if len(r) == 2):
                out.add((day, key))
    return out
