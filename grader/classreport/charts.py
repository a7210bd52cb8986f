"""Charts as inline SVG: drawn by the browser from the page itself, nothing to fetch, crisp at any
zoom, and text a search can find. Each returns one <svg> element.

    histogram(bands) -> str         vertical bars: submissions per score band
    rate_bars(rows) -> str          horizontal bars: a pass rate per row, 0 to 100 %
"""

from __future__ import annotations

from html import escape

from grader.classreport.model import Band

#: The colours the page's tests look for in a screenshot: one per kind of chart.
HISTOGRAM_COLOUR = "#0969da"
RATE_COLOUR = "#1a7f37"
TRACK_COLOUR = "#eaeef2"
FONT = 'font-family="system-ui, sans-serif" font-size="12" fill="#1f2328"'


def histogram(bands: list[Band], width: int = 760, height: int = 260) -> str:
    left, bottom, top = 36, 36, 16
    plot_width, plot_height = width - left - 8, height - bottom - top
    largest = max((band.count for band in bands), default=0) or 1
    step = plot_width / len(bands)
    parts = [_axis_ticks(largest, left, top, plot_width, plot_height)]
    for index, band in enumerate(bands):
        x = left + index * step + 3
        bar = plot_height * band.count / largest
        y = top + plot_height - bar
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{step - 6:.1f}" '
                     f'height="{bar:.1f}" fill="{HISTOGRAM_COLOUR}">'
                     f"<title>{escape(band.label)} %: {band.count}</title></rect>")
        if band.count:
            parts.append(f'<text x="{x + (step - 6) / 2:.1f}" y="{y - 3:.1f}" '
                         f'text-anchor="middle" {FONT}>{band.count}</text>')
        parts.append(f'<text x="{x + (step - 6) / 2:.1f}" y="{top + plot_height + 16}" '
                     f'text-anchor="middle" {FONT}>{escape(band.label)}</text>')
    parts.append(f'<text x="{left + plot_width / 2:.1f}" y="{height - 4}" text-anchor="middle" '
                 f"{FONT}>score (%)</text>")
    return _svg("histogram", width, height, "Submissions per score band", parts)


def _axis_ticks(largest: int, left: int, top: int, width: float, height: float) -> str:
    """Gridlines at round numbers of submissions (1, 2 or 5 times a power of ten), at most six."""
    step = next(size * 10 ** power for power in range(12) for size in (1, 2, 5)
                if largest / (size * 10 ** power) <= 5)
    lines = []
    for value in range(0, largest + 1, step):
        y = top + height - height * value / largest
        lines.append(f'<line x1="{left}" x2="{left + width:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#d1d9e0" stroke-width="1"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT}>'
                     f"{value}</text>")
    return "".join(lines)


def rate_bars(rows: list[tuple[str, float, str]], width: int = 760) -> str:
    """rows: (label, rate from 0 to 1, text shown after the bar)."""
    label_width, row_height, text_width = 250, 20, 190
    track = width - label_width - text_width
    parts = []
    for index, (label, rate, text) in enumerate(rows):
        y = index * row_height + 4
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 12}" text-anchor="end" {FONT}>'
            f"{escape(label)}</text>"
            f'<rect x="{label_width}" y="{y}" width="{track}" height="14" rx="3" '
            f'fill="{TRACK_COLOUR}"/>'
            f'<rect class="bar" x="{label_width}" y="{y}" width="{track * rate:.1f}" height="14" '
            f'rx="3" fill="{RATE_COLOUR}"><title>{escape(label)}: {escape(text)}</title></rect>'
            f'<text x="{label_width + track + 8}" y="{y + 12}" {FONT}>{escape(text)}</text>')
    return _svg("rates", width, len(rows) * row_height + 8, "Pass rates", parts)


def _svg(kind: str, width: int, height: int, title: str, parts: list[str]) -> str:
    return (f'<svg class="chart {kind}" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
            + "".join(parts) + "</svg>")
