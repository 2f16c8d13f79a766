"""Reading the CSV files staff upload (experts, roster, units): rows with their physical line numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from callcenter.errors import CallCenterError


def csv_rows(text: str, error: type[CallCenterError], what: str) -> Iterator[tuple[int, list[str]]]:
    """Each row's line number and stripped fields. A spreadsheet's byte-order mark is dropped; a file the
    csv module cannot read (a stray carriage return, a NUL) is ``error`` with its line, never a crash."""
    # newline="": carriage returns inside a file reach the csv module as it expects them.
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as problem:
            raise error(
                f"{what} is not valid CSV at line {reader.line_num}: {problem}",
                details={"errors": [{"line": reader.line_num, "problem": str(problem)}]},
            ) from problem
        yield reader.line_num, [value.strip() for value in row]
