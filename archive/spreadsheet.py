"""CSV that is safe to open in a spreadsheet: no cell runs as a formula, no control bytes."""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

__all__ = ["FORMULA_STARTS", "SpreadsheetCsvWriter", "spreadsheet_cell"]

# A cell starting with one of these is read as a formula by Excel, LibreOffice or Google
# Sheets (tab, CR and LF because importers strip them and then see what follows).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# C0 controls except tab, LF and CR (kept: CSV quoting carries them), DEL, and C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control picture: NUL -> ␀, ESC -> ␛
    return "\u2421" if code == 0x7F else "\ufffd"


def spreadsheet_cell(text: str) -> str:
    """`text` as a spreadsheet shows it but never runs it.

    Control characters become visible symbols (NUL -> ␀, ESC -> ␛, DEL -> ␡, C1 -> �);
    a cell that would start a formula gets a leading apostrophe, the spreadsheets' own
    "this is text" mark. The exact text stays in the JSON Lines and Parquet exports.
    """
    text = _CONTROL.sub(_visible, text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SpreadsheetCsvWriter:
    """A csv.DictWriter whose text cells go through `spreadsheet_cell`, every one quoted.

    Numbers are written as numbers, unquoted. Quoting every text cell keeps a `;` or `,` in
    a dream inside its cell even where a spreadsheet splits on the other separator.
    """

    def __init__(self, handle: TextIO, fieldnames: Sequence[str]) -> None:
        self._writer = csv.DictWriter(
            handle, fieldnames=list(fieldnames), quoting=csv.QUOTE_NONNUMERIC
        )

    def writeheader(self) -> None:
        self._writer.writeheader()

    def writerow(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow(
            {
                key: spreadsheet_cell(value) if isinstance(value, str) else value
                for key, value in row.items()
            }
        )
