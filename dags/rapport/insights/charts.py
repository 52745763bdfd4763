"""Small server-rendered SVG charts: no JavaScript, no CDN, nothing fetched by the browser.

pygal was tried first: it renders offline (``js=[]``), but a 90-day stacked bar chart took 0.5 s and
240 kB, over the page budget (300 ms). These functions write a few hundred elements at most, each
with a ``<title>`` (the browser's tooltip) and ``data-*`` attributes that the browser tests read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

PALETTE = {
    "emails sent": "#1f77b4",
    "emails received": "#aec7e8",
    "meetings sent": "#2ca02c",
    "meetings received": "#98df8a",
    "calls made": "#d62728",
    "calls received": "#ff9896",
    "tasks": "#9467bd",
    "good": "#2e7d32",
    "fair": "#f9a825",
    "poor": "#c62828",
    "none": "#9e9e9e",
}


@dataclass(frozen=True)
class Box:
    width: int = 760
    height: int = 240
    left: int = 48
    right: int = 12
    top: int = 12
    bottom: int = 36

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom


def _open(box: Box, label: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {box.width} {box.height}" role="img" '
        f'aria-label="{escape(label)}" class="chart">'
    ]


def _y_axis(box: Box, maximum: float, fmt: str = "{:g}") -> list[str]:
    out = []
    for step in range(5):
        value = maximum * step / 4
        y = box.top + box.plot_height * (1 - step / 4)
        out.append(
            f'<line x1="{box.left}" x2="{box.width - box.right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{box.left - 4}" y="{y + 4:.1f}" text-anchor="end" class="tick">{fmt.format(value)}</text>'
        )
    return out


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for candidate in (1, 2, 4, 5, 8, 10, 20, 25, 40, 50, 100, 200, 250, 500, 1000):
        if value <= candidate:
            return float(candidate)
    magnitude = 10 ** (len(str(int(value))) - 1)
    return float((int(value / magnitude) + 1) * magnitude)


def stacked_days(
    days: Sequence[date], series: dict[str, dict[date, int]], label: str, box: Box | None = None
) -> str:
    """Stacked bars per day (the 90-day activity chart): one colour per measure, in legend order."""
    box = box or Box()
    totals = [sum(values.get(day, 0) for values in series.values()) for day in days]
    maximum = _nice_max(max(totals, default=0))
    out = _open(box, label) + _y_axis(box, maximum)
    slot = box.plot_width / max(len(days), 1)
    for index, day in enumerate(days):
        x = box.left + index * slot
        base = 0
        for measure, values in series.items():
            count = values.get(day, 0)
            if not count:
                continue
            height = box.plot_height * count / maximum
            y = box.top + box.plot_height * (1 - (base + count) / maximum)
            out.append(
                f'<rect x="{x + 0.5:.1f}" y="{y:.1f}" width="{max(slot - 1, 1):.1f}" height="{height:.1f}" '
                f'fill="{PALETTE.get(measure, "#555")}" data-date="{day.isoformat()}" '
                f'data-measure="{escape(measure)}" data-count="{count}">'
                f"<title>{day.isoformat()} {escape(measure)}: {count}</title></rect>"
            )
            base += count
        if index % 15 == 0:
            out.append(f'<text x="{x:.1f}" y="{box.height - 18}" class="tick">{day.strftime("%m-%d")}</text>')
    out.append(_legend(box, list(series)))
    out.append("</svg>")
    return "".join(out)


def _legend(box: Box, names: Sequence[str]) -> str:
    parts = []
    x = float(box.left)
    for name in names:
        parts.append(
            f'<rect x="{x:.0f}" y="{box.height - 10}" width="9" height="9" fill="{PALETTE.get(name, "#555")}"/>'
            f'<text x="{x + 12:.0f}" y="{box.height - 2}" class="tick">{escape(name)}</text>'
        )
        x += 14 + 6.5 * len(name)
    return "".join(parts)


def line(
    points: Sequence[tuple[date, float | None]], label: str, maximum: float = 100, box: Box | None = None
) -> str:
    """A line over dates (score or health over time); gaps where the value is missing."""
    box = box or Box(height=180)
    out = _open(box, label) + _y_axis(box, maximum)
    known = [(day, value) for day, value in points if value is not None]
    if not known:
        out.append(
            f'<text x="{box.width / 2}" y="{box.height / 2}" text-anchor="middle" class="empty">—</text></svg>'
        )
        return "".join(out)
    first, last = known[0][0], known[-1][0]
    span = max((last - first).days, 1)

    def xy(day: date, value: float) -> tuple[float, float]:
        x = box.left + box.plot_width * ((day - first).days / span if len(known) > 1 else 0.5)
        return x, box.top + box.plot_height * (1 - value / maximum)

    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(day, value) for day, value in known))
    out.append(f'<polyline points="{path}" class="line"/>')
    for day, value in known:
        x, y = xy(day, value)
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" class="dot" data-date="{day.isoformat()}" '
            f'data-value="{value:g}"><title>{day.isoformat()}: {value:g}</title></circle>'
        )
    out.append(f'<text x="{box.left}" y="{box.height - 18}" class="tick">{first.isoformat()}</text>')
    out.append(
        f'<text x="{box.width - box.right}" y="{box.height - 18}" text-anchor="end" class="tick">'
        f"{last.isoformat()}</text></svg>"
    )
    return "".join(out)


@dataclass(frozen=True)
class Point:
    day: date
    value: float
    colour_key: str
    label: str
    href: str


def scatter(points: Sequence[Point], label: str, box: Box | None = None) -> str:
    """Dots by date (x) and value (y), coloured by band (the relationship pipeline chart)."""
    box = box or Box(height=360, left=72)
    if not points:
        return (
            "".join(_open(box, label))
            + f'<text x="{box.width / 2}" y="{box.height / 2}" text-anchor="middle" class="empty">—</text></svg>'
        )
    first = min(point.day for point in points)
    last = max(point.day for point in points)
    span = max((last - first).days, 1)
    maximum = _nice_max(max(point.value for point in points))
    out = _open(box, label) + _y_axis(box, maximum, "{:,.0f}")
    for point in points:
        x = box.left + box.plot_width * (point.day - first).days / span
        y = box.top + box.plot_height * (1 - point.value / maximum)
        out.append(
            f'<a href="{escape(point.href)}"><circle cx="{x:.1f}" cy="{y:.1f}" r="5" '
            f'fill="{PALETTE.get(point.colour_key, PALETTE["none"])}" class="bubble" '
            f'data-band="{escape(point.colour_key)}" data-date="{point.day.isoformat()}" '
            f'data-value="{point.value:.2f}"><title>{escape(point.label)}</title></circle></a>'
        )
    out.append(f'<text x="{box.left}" y="{box.height - 18}" class="tick">{first.isoformat()}</text>')
    out.append(
        f'<text x="{box.width - box.right}" y="{box.height - 18}" text-anchor="end" class="tick">'
        f"{last.isoformat()}</text>"
    )
    out.append(_legend(box, ["good", "fair", "poor", "none"]))
    out.append("</svg>")
    return "".join(out)
