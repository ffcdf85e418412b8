"""Read HTML widgets the way a learner reads them: table cells and visible words."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self.headers: list[str] = []
        self._cell: list[str] | None = None
        self._in_body = False
        self._hidden = 0  # inside <style> or <script>: markup, not words a learner reads

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._hidden += 1
        elif tag == "th":
            self._cell = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag == "td" and self._in_body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._hidden = max(0, self._hidden - 1)
        elif tag == "tbody":
            self._in_body = False
        elif tag == "th" and self._cell is not None:
            self.headers.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def table_rows(markup: str) -> list[list[str]]:
    """The body rows of the HTML table a learner sees, as cell texts."""
    collector = _TextCollector()
    collector.feed(markup)
    return collector.rows


def table_headers(markup: str) -> list[str]:
    """The column headers of the HTML table a learner sees."""
    collector = _TextCollector()
    collector.feed(markup)
    return collector.headers


def css_selectors(markup: str) -> list[str]:
    """Every selector of the rules in the <style> blocks of ``markup`` (one per comma)."""
    sheets = re.findall(r"<style>(.*?)</style>", markup, flags=re.S)
    rules = re.findall(r"([^{}]+)\{[^{}]*\}", "".join(sheets))
    return [part.strip() for rule in rules for part in rule.split(",") if part.strip()]


def css_declarations(markup: str, selector: str) -> dict[str, str]:
    """The declarations of every rule in ``markup``'s <style> blocks naming ``selector``."""
    found: dict[str, str] = {}
    for sheet in re.findall(r"<style>(.*?)</style>", markup, flags=re.S):
        for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", sheet):
            if selector in (part.strip() for part in selectors.split(",")):
                for declaration in body.split(";"):
                    name, _, value = declaration.partition(":")
                    if name.strip():
                        found[name.strip()] = value.strip()
    return found


def visible_text(markup: str) -> str:
    """The words an HTML widget shows, without its tags."""
    collector = _TextCollector()
    collector.feed(markup)
    return " ".join(" ".join(collector.text).split())


def shown(widget: Any) -> str:
    """The words an HTML widget shows (its value without tags, entities decoded)."""
    return visible_text(widget.value)
