"""The class report's part of the end-of-batch terminal summary: the top misconceptions.

    top_misconceptions(report, limit=5) -> Table | None
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from grader.classreport.model import ClassReport

NAMES_SHOWN = 4


def top_misconceptions(report: ClassReport, limit: int = 5) -> Table | None:
    """The `limit` misconceptions the most students made (None when feedback named none), and,
    below them, how many pairs were flagged for shared work and where to look."""
    if not report.misconceptions and not report.similar_pairs:
        return None
    table = Table(title="Misconceptions", title_justify="left", header_style="bold")
    table.add_column("Misconception")
    table.add_column("Exercise")
    table.add_column("Students", justify="right")
    table.add_column("Who")
    for item in report.misconceptions[:limit]:
        who = ", ".join(item.submissions[:NAMES_SHOWN])
        if item.count > NAMES_SHOWN:
            who += f" and {item.count - NAMES_SHOWN} more"
        table.add_row(Text(item.text), Text(item.exercise), str(item.count), Text(who))
    more = len(report.misconceptions) - limit
    caption = [f"{more} more" if more > 0 else "",
               f"{len(report.flagged)} pair(s) flagged for shared work"
               if report.flagged else "",
               f"see {report.folder}/class.html" if report.folder else "see class.html"]
    table.caption = Text("; ".join(part for part in caption if part), style="dim")
    table.caption_justify = "left"
    return table
