"""An LMS's gradebook file, read and written back the way the LMS wrote it.

Canvas and Moodle write their gradebook exports in the user's locale: Canvas separates fields
with `;` and writes `8,5` where the decimal mark is a comma (`CsvWithI18n.csv_i18n_settings`,
lib/csv_with_i18n.rb; `GradebookExporter#format_numbers`, lib/gradebook_exporter.rb), and
starts the file with a byte order mark for Excel; Moodle writes its worksheet's "Maximum
Grade" through `format_float` (`100,00` on a German or French site), and its importer takes
`,`, `;` or tab as the separator and reads grades back with `unformat_float`
(mod/assign/feedback/offline/locallib.php, `process_import_grades`). So a file is read in its
own dialect (separator, byte order mark, line ends, decimal mark) and written back in it, every
cell the grader doesn't fill as it was (quoted only where the separator needs it, as both LMSs
write and read them).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SEPARATORS = (",", ";", "\t")
COMMA_DECIMAL = re.compile(r"^-?[0-9]+,[0-9]+$")
POINT_DECIMAL = re.compile(r"^-?[0-9]+\.[0-9]+$")


class SheetError(Exception):
    """The file can't be used; one line saying why and what to do."""


@dataclass
class Sheet:
    path: Path
    rows: list[list[str]]
    bom: bool
    separator: str
    newline: str

    @property
    def header(self) -> list[str]:
        return self.rows[0]

    def columns(self, wanted: Iterable[str]) -> list[int]:
        """Where the columns headed by any of `wanted` are (spaces around and case aside)."""
        names = {w.strip().casefold() for w in wanted}
        return [i for i, h in enumerate(self.header) if h.strip().casefold() in names]

    def column(self, wanted: Iterable[str], what: str, option: str) -> int:
        """The one column headed by one of `wanted`, or a one-line error naming `option`."""
        wanted = tuple(wanted)
        found = self.columns(wanted)
        if len(found) == 1:
            return found[0]
        if not found:
            raise SheetError(f"{self.path} has no {' / '.join(repr(w) for w in wanted[:5])} "
                             f"column ({what}); its columns: {self.shown()}; name it with "
                             f"{option}")
        raise SheetError(f"{self.path} has {len(found)} columns that could be {what} ("
                         + ", ".join(repr(self.header[i]) for i in found) + f"); name it with "
                         f"{option}")

    def shown(self, limit: int = 12) -> str:
        return ", ".join(repr(h) for h in self.header[:limit]) + (
            ", ..." if len(self.header) > limit else "")

    def text(self) -> str:
        """The file again, in its own dialect."""
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=self.separator,
                   lineterminator=self.newline).writerows(self.rows)
        return ("\ufeff" if self.bom else "") + buffer.getvalue()


def _separator(text: str) -> str:
    """The field separator: the one that splits the header into the most fields (as Canvas's
    importer chooses between `;` and `,`, `GradebookImporter#identify_delimiter`)."""
    first = text.split("\n", 1)[0]
    counts = {}
    for separator in SEPARATORS:
        try:
            counts[separator] = len(next(csv.reader([first], delimiter=separator), []))
        except csv.Error:
            counts[separator] = 0
    return max(SEPARATORS, key=lambda s: (counts[s], -SEPARATORS.index(s)))


def read(path: Path, what: str) -> Sheet:
    """A gradebook file exported from an LMS (`what` names it in errors)."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise SheetError(f"can't read {what} {path}: {err.strerror or err}") from err
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SheetError(f"{path} is not UTF-8 text; export {what} again") from err
    separator = _separator(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    except csv.Error as err:
        raise SheetError(f"{path} is not a CSV file ({err}); export {what} again") from err
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise SheetError(f"{path} is empty")
    width = len(rows[0])
    for row in rows[1:]:
        row.extend([""] * (width - len(row)))
    newline = "\r\n" if "\r\n" in text else "\n"
    return Sheet(path, rows, bom, separator, newline)


def decimal_mark(cells: Iterable[str], separator: str) -> str:
    """The decimal mark the file's numbers use; with none to tell, the one its separator
    implies (Canvas writes `;` exactly where the mark is a comma)."""
    comma = point = 0
    for cell in cells:
        cell = cell.strip()
        comma += bool(COMMA_DECIMAL.match(cell))
        point += bool(POINT_DECIMAL.match(cell))
    if comma != point:
        return "," if comma > point else "."
    return "," if separator == ";" else "."


def number(text: str) -> float | None:
    """A number as an LMS writes it (`100,00` or `100.00`), else None. As Canvas's importer
    reads one (`decimal_comma_to_period`, lib/gradebook_importer.rb): the last `.` or `,` is
    the decimal mark, any earlier one groups thousands; neither LMS writes those groups."""
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if not re.fullmatch(r"-?[0-9][0-9.,]*", text):
        return None
    at = max(text.rfind("."), text.rfind(","))
    whole = text if at < 0 else text[:at].replace(".", "").replace(",", "")
    decimals = "" if at < 0 else text[at + 1:]
    try:
        return float(f"{whole}.{decimals}" if decimals else whole)
    except ValueError:
        return None


def written(value: float, mark: str) -> str:
    """A score as the file writes numbers: at most two decimals (what Canvas and Moodle show
    and compare), no trailing zeros, the file's decimal mark."""
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace(".", mark)
