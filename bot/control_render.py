"""The monthly report as files: bar charts as PNG (matplotlib, the Agg backend: no display
needed), an XLSX workbook with a sheet per section (openpyxl) and an HTML page (Jinja2) with
the charts inside it."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.control import Chart, MonthlyReport
from bot.dates import stamp

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)
COLORS = ["#2e7d32", "#f9a825", "#c62828", "#1565c0", "#6a1b9a", "#00838f"]


@dataclass(frozen=True)
class RenderedReport:
    summary: str
    charts: list[tuple[str, bytes]]  # (file name, PNG)
    xlsx: bytes
    html: str
    month_slug: str


def png(chart: Chart) -> bytes:
    # Imported on first use: matplotlib takes a second to import and most starts never draw.
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: renders to memory, never to a window
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        positions = range(len(chart.labels))
        bottom = [0.0] * len(chart.labels)
        width = 0.8 if chart.stacked or len(chart.series) == 1 else 0.8 / len(chart.series)
        for index, (name, values) in enumerate(chart.series):
            color = COLORS[index % len(COLORS)]
            if chart.stacked:
                axis.bar(positions, values, width, bottom=bottom, label=name, color=color)
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
            else:
                shifted = [p + index * width - 0.4 + width / 2 for p in positions]
                axis.bar(shifted, values, width, label=name, color=color)
        axis.set_xticks(list(positions), chart.labels, rotation=20 if len(chart.labels) > 3 else 0)
        axis.set_title(chart.title)
        axis.yaxis.get_major_locator().set_params(integer=True)
        if len(chart.series) > 1:
            axis.legend()
        figure.tight_layout()
        out = BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(figure)


def xlsx(report: MonthlyReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for section in report.sections:
        sheet = book.create_sheet(section.title[:31])
        sheet.append([f"{section.title} · {report.month.title}"])
        sheet["A1"].font = Font(bold=True, size=13)
        for line in section.lines:
            sheet.append([line])
        sheet.append([])
        if section.rows:
            sheet.append(list(section.header))
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
            for row in section.rows:
                sheet.append(list(row))
        for note in section.notes:
            sheet.append([note])
        sheet.column_dimensions["A"].width = 40
        for column in "BCDEFG":
            sheet.column_dimensions[column].width = 16
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def html(report: MonthlyReport, charts: dict[str, list[tuple[str, str]]], tz: ZoneInfo) -> str:
    return _templates.get_template("control.html.j2").render(
        report=report, charts=charts, generated=stamp(report.generated_at, tz)
    )


def render(report: MonthlyReport, tz: ZoneInfo) -> RenderedReport:
    charts: list[tuple[str, bytes]] = []
    inline: dict[str, list[tuple[str, str]]] = {}
    for section in report.sections:
        for chart in section.charts:
            image = png(chart)
            charts.append((f"{chart.name}.png", image))
            inline.setdefault(section.title, []).append(
                (chart.title, base64.b64encode(image).decode())
            )
    slug = f"{report.month.year}-{report.month.month:02d}"
    return RenderedReport(report.summary(), charts, xlsx(report), html(report, inline, tz), slug)
