"""Charts of the figures, drawn on the server as SVG by pygal: no script is loaded, no font fetched.

The colours differ in lightness (they stay apart printed in grey) and lines differ in dash pattern too. Every
chart is shown with a text alternative and the table of its numbers beneath it, so nothing is only in the picture.
"""

from __future__ import annotations

import pygal
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from pygal.style import Style

# Lightness 43, 107, 158, 216 (of 255): apart in greyscale.
COLOURS = ("#08306b", "#d94801", "#6baed6", "#fdd0a2")
DASHES = (None, "8, 4", "2, 4", "12, 4, 2, 4")

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#6b6b6b",
    colors=COLOURS,
    font_family="sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    title_font_size=15,
    value_font_size=12,
)


def _config(title: str, **options) -> dict:
    return {
        "title": title,
        "style": STYLE,
        "js": [],  # pygal's tooltips script lives on a CDN: never loaded
        "disable_xml_declaration": True,
        "width": 860,
        "height": 360,
        "legend_at_bottom": True,
        "print_values": False,
        **options,
    }


def render(chart) -> bytes:
    return chart.render(is_unicode=True).encode("utf-8")


def trend_lines(rows: list[dict], series: dict[str, str], title: str) -> bytes:
    """One line per series over the weeks or months of `rows` (each with `starts` and the series' values)."""
    chart = pygal.Line(**_config(title, x_label_rotation=30, show_minor_x_labels=len(rows) <= 16, dots_size=3))
    chart.x_labels = [date_format(row["starts"], "j M Y") for row in rows]
    if len(rows) > 16:
        chart.x_labels_major = chart.x_labels[:: max(1, len(rows) // 8)]
    for index, (name, label) in enumerate(series.items()):
        dash = DASHES[index % len(DASHES)]
        chart.add(
            label, [row[name] for row in rows], stroke_style={"width": 2.5, **({"dasharray": dash} if dash else {})}
        )
    return render(chart)


def share_bars(rows: list[dict], series: dict[str, str], title: str) -> bytes:
    """Horizontal bars of shares (0..1, shown in per cent) per row label."""
    chart = pygal.HorizontalBar(
        **_config(
            title,
            range=(0, 100),
            value_formatter=lambda value: f"{value:.0f}%" if value is not None else _("none"),
            height=max(220, 70 + 46 * len(rows) * len(series)),
        )
    )
    chart.x_labels = [str(row["label"]) for row in rows]
    for name, label in series.items():
        chart.add(label, [None if row[name] is None else round(row[name] * 100, 1) for row in rows])
    return render(chart)
