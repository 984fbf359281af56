"""Geometry of the CSI-4 trend chart and the divergence rule. Pure: numbers in, numbers out.

The chart has one column per occasion (the intake, then each check-in in order) and one
line per partner; a template draws it as SVG. Scores run from 0 to ``CSI4_MAX`` (21); the
distress cutoff is 13.5 (a total below it indicates notable dissatisfaction).

Two partners *diverge* on an occasion when their scores differ by ``DIVERGENCE_GAP`` (5) or
more, or lie on opposite sides of the cutoff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from coaching.intake.scoring import CSI4_CUTOFF, CSI4_MAX

__pure__ = True

DIVERGENCE_GAP = 5
WIDTH, HEIGHT = 640, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 20, 16, 48
Y_TICKS = (0, 5, 10, 15, 20)
MAX_X_LABELS = 6  # more occasions than this: label every k-th column (the table lists all)


def distressed(score: float) -> bool:
    """True for a total below the cutoff (13.5): notable relationship dissatisfaction."""
    return score < CSI4_CUTOFF


def diverges(a: float, b: float) -> bool:
    """Whether two partners' scores differ by 5 or more or lie on opposite sides of 13.5."""
    return abs(a - b) >= DIVERGENCE_GAP or distressed(a) != distressed(b)


@dataclass(frozen=True)
class Series:
    """One partner's scores, one per occasion (``None`` where they did not answer)."""

    name: str
    style: str  # "a" (solid, circles) or "b" (dashed, squares): told apart without colour
    scores: tuple[int | None, ...]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    score: int
    label: str


@dataclass(frozen=True)
class Line:
    name: str
    style: str
    segments: tuple[str, ...]  # SVG polyline ``points`` values; a gap (no answer) splits the line
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Marker:
    """A divergence on one occasion: a vertical band between the two partners' points."""

    index: int
    x: float
    y_top: float
    y_bottom: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    cutoff_y: float
    y_ticks: tuple[tuple[float, int], ...]
    x_labels: tuple[tuple[float, str, str], ...]  # (x, text, text-anchor)
    lines: tuple[Line, ...]
    markers: tuple[Marker, ...]

    @property
    def is_empty(self) -> bool:
        return not any(line.points for line in self.lines)


def _round(value: float) -> float:
    return round(value, 1)


def y_of(score: float, top: float, bottom: float) -> float:
    """The vertical position of ``score``: 0 on the bottom edge, ``CSI4_MAX`` on the top."""
    return _round(bottom - (bottom - top) * score / CSI4_MAX)


def x_positions(count: int, left: float, right: float) -> tuple[float, ...]:
    """Evenly spaced columns from ``left`` to ``right``; a single one is centred."""
    if count <= 0:
        return ()
    if count == 1:
        return (_round((left + right) / 2),)
    step = (right - left) / (count - 1)
    return tuple(_round(left + i * step) for i in range(count))


def divergent_occasions(a: Sequence[int | None], b: Sequence[int | None]) -> tuple[int, ...]:
    """Indexes of the occasions where both answered and the scores diverge."""
    return tuple(i for i, (x, y) in enumerate(zip(a, b, strict=True))
                 if x is not None and y is not None and diverges(x, y))


def build_chart(labels: Sequence[str], series: Sequence[Series], *, width: int = WIDTH,
                height: int = HEIGHT) -> Chart:
    """The chart's geometry for occasion ``labels`` and one or two partners' ``series``.

    ``ValueError`` when a series does not have one entry per occasion or a score lies
    outside 0..21. Divergence markers are computed only for exactly two series.
    """
    left, top = float(MARGIN_LEFT), float(MARGIN_TOP)
    right, bottom = float(width - MARGIN_RIGHT), float(height - MARGIN_BOTTOM)
    xs = x_positions(len(labels), left, right)
    lines = []
    for s in series:
        if len(s.scores) != len(labels):
            raise ValueError(f"{s.name}: {len(s.scores)} scores for {len(labels)} occasions")
        for score in s.scores:
            if score is not None and not 0 <= score <= CSI4_MAX:
                raise ValueError(f"{s.name}: score {score} is outside 0..{CSI4_MAX}")
        points, segments, current = [], [], []
        for x, label, score in zip(xs, labels, s.scores):
            if score is None:
                if current:
                    segments.append(" ".join(current))
                current = []
                continue
            point = Point(x=x, y=y_of(score, top, bottom), score=score, label=label)
            points.append(point)
            current.append(f"{point.x:g},{point.y:g}")
        if current:
            segments.append(" ".join(current))
        lines.append(Line(name=s.name, style=s.style, segments=tuple(segments), points=tuple(points)))
    markers: list[Marker] = []
    if len(series) == 2:
        a, b = series
        for i in divergent_occasions(a.scores, b.scores):
            ya, yb = y_of(a.scores[i], top, bottom), y_of(b.scores[i], top, bottom)  # type: ignore[arg-type]
            markers.append(Marker(index=i, x=xs[i], y_top=min(ya, yb), y_bottom=max(ya, yb), label=labels[i]))
    return Chart(width=width, height=height, left=left, top=top, right=right, bottom=bottom,
                 cutoff_y=y_of(CSI4_CUTOFF, top, bottom),
                 y_ticks=tuple((y_of(t, top, bottom), t) for t in Y_TICKS),
                 x_labels=x_labels(xs, labels), lines=tuple(lines), markers=tuple(markers))


def x_labels(xs: Sequence[float], labels: Sequence[str]) -> tuple[tuple[float, str, str], ...]:
    """At most ``MAX_X_LABELS`` column labels, evenly picked; the edge ones anchored inwards."""
    step = max(1, -(-len(labels) // MAX_X_LABELS))
    out = []
    for i, (x, label) in enumerate(zip(xs, labels)):
        if i % step:
            continue
        anchor = "middle" if len(labels) == 1 else "start" if i == 0 else "end" if i == len(labels) - 1 else "middle"
        out.append((x, label, anchor))
    return tuple(out)
