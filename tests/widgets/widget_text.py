"""Read HTML widgets the way a learner reads them: table cells and visible words."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag == "td" and self._in_body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def table_rows(markup: str) -> list[list[str]]:
    """The body rows of the HTML table a learner sees, as cell texts."""
    collector = _TextCollector()
    collector.feed(markup)
    return collector.rows


def visible_text(markup: str) -> str:
    """The words an HTML widget shows, without its tags."""
    collector = _TextCollector()
    collector.feed(markup)
    return " ".join(" ".join(collector.text).split())


def shown(widget: Any) -> str:
    """The words an HTML widget shows (its value without tags, entities decoded)."""
    return visible_text(widget.value)
