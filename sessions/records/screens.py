"""What the team is shown of the records: charts drawn on the server as SVG, readable without colour
(each series has its own marks, line and label, and every bar and point carries its number as text).
Every chart comes with its numbers as a table beside it, for screen readers and for anyone."""

from markupsafe import Markup, escape

from sessions.records.operations import Scale, TrendPoint

BAR_WIDTH, BAR_GAP, CHART_HEIGHT = 22, 6, 140


def _text(x: float, y: float, words: object, anchor: str = "middle", size: int = 12, weight: str = "normal") -> str:
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}" font-size="{size}" font-weight="{weight}">'
        f"{escape(words)}</text>"
    )


def distribution_svg(scale: Scale, chart_id: str, heading: str) -> Markup:
    """One 0-10 scale as bars, each with its count written above it."""
    assert scale.counts is not None
    top = max(scale.counts) or 1
    left, bottom = 10, CHART_HEIGHT + 30
    width = left * 2 + 11 * (BAR_WIDTH + BAR_GAP)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {bottom + 28}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(heading)}</title>',
        f'<desc id="{chart_id}-desc">How many chose each value from 0 to 10; the table below gives the same '
        "numbers.</desc>",
        f'<line x1="{left}" y1="{bottom}" x2="{width - left}" y2="{bottom}" stroke="currentColor"/>',
    ]
    for value, count in enumerate(scale.counts):
        x = left + value * (BAR_WIDTH + BAR_GAP)
        height = round(CHART_HEIGHT * count / top)
        parts.append(
            f'<rect x="{x}" y="{bottom - height}" width="{BAR_WIDTH}" height="{height}" '
            'fill="currentColor" fill-opacity="0.75"/>'
        )
        parts.append(_text(x + BAR_WIDTH / 2, bottom - height - 4, count))
        parts.append(_text(x + BAR_WIDTH / 2, bottom + 16, value))
    parts.append(_text(width / 2, bottom + 28, "value chosen (0 to 10)", size=11))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every piece of text in it is escaped above


# The two series of the trend differ in mark (circle, square), line (solid, dashed) and label.
SERIES = (
    ("check_in", "Check-in", "", "circle"),
    ("check_out", "Check-out", "6 4", "square"),
)


def _mark(shape: str, x: float, y: float) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.0f}" cy="{y:.0f}" r="5" fill="currentColor"/>'
    return f'<rect x="{x - 5:.0f}" y="{y - 5:.0f}" width="10" height="10" fill="white" stroke="currentColor" stroke-width="2"/>'


def trend_svg(points: list[TrendPoint], chart_id: str) -> Markup:
    """The average check-in and check-out per session run, on a 0-10 axis. A session where fewer
    than k answered has no point and says so under its week: nothing is drawn from too few answers."""
    left, right, top, height = 44, 20, 36, 200
    step = 90
    width = left + right + max(len(points), 1) * step
    bottom = top + height

    def y_of(value: float) -> float:
        return bottom - height * value / 10

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart trend" viewBox="0 0 {width} {bottom + 60}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">Check-in and check-out, week by week</title>',
        f'<desc id="{chart_id}-desc">The average of each scale from 0 to 10 for every session run; the table '
        "below gives the same numbers.</desc>",
    ]
    for tick in (0, 5, 10):
        parts.append(
            f'<line x1="{left}" y1="{y_of(tick):.0f}" x2="{width - right}" y2="{y_of(tick):.0f}" '
            'stroke="currentColor" stroke-opacity="0.25"/>'
        )
        parts.append(_text(left - 8, y_of(tick) + 4, tick, anchor="end"))
    for offset, (_attribute, label, dash, shape) in enumerate(SERIES):
        key = left + offset * 130
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{key}" y1="14" x2="{key + 28}" y2="14" stroke="currentColor" stroke-width="2"{dashes}/>'
        )
        parts.append(_mark(shape, key + 14, 14))
        parts.append(_text(key + 36, 18, label, anchor="start"))
    for attribute, _label, dash, shape in SERIES:
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        run: list[str] = []
        segments = []
        for index, point in enumerate(points):
            scale = getattr(point, attribute)
            mean = scale.mean if scale is not None else None
            if mean is None:
                segments.append(run)
                run = []
                continue
            x, y = left + step * index + step / 2, y_of(mean)
            run.append(f"{x:.0f},{y:.0f}")
            parts.append(_mark(shape, x, y))
            parts.append(_text(x + (14 if attribute == "check_in" else -14), y - 8, f"{mean:.1f}", size=11))
        segments.append(run)
        for segment in segments:
            if len(segment) > 1:
                parts.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" stroke="currentColor" '
                    f'stroke-width="2"{dashes}/>'
                )
    for index, point in enumerate(points):
        middle = left + step * index + step / 2
        parts.append(_text(middle, bottom + 18, f"Week {point.week}"))
        if all(getattr(point, attribute) is None or getattr(point, attribute).mean is None for attribute, *_ in SERIES):
            parts.append(_text(middle, bottom + 34, "no figure", size=10))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every piece of text in it is escaped above
