"""Reading a weighbridge export (CSV or XLSX) into scrap receipts: pure functions, no ORM.

The first row names the columns (any case; spaces and hyphens count as underscores); each row
after it is one weighing ticket. Errors name the row as the spreadsheet numbers it (the header
is row 1) and the column, e.g. `rows[5].net_kg`.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from ledger.errors import DomainError, quoted
from ledger.events import SCRAP_RECEIVED
from ledger.quantities import format_kg, parse_mass
from ledger.services import EventInput

MAX_ROWS = 5000  # one import is one transaction holding the ledger head: a day's tickets, not a year's
MAX_BYTES = 10 * 1024 * 1024

# The columns, and what each becomes in the scrap.received event. A row names its supplier in
# `supplier` (a platform organisation's slug) or `supplier_name` (one not on remelt): the file has
# one of the two columns or both, and each row fills exactly one.
REQUIRED = ["ticket", "grade", "category", "distance_km", "mode"]
SUPPLIER_COLUMNS = ["supplier", "supplier_name"]
OPTIONAL = [
    *SUPPLIER_COLUMNS,
    "code",
    "origin",
    "weighed_at",
    "date",
    "time",
    "net_kg",
    "gross_kg",
    "tare_kg",
]
COLUMNS = REQUIRED + OPTIONAL
TEXT = {"supplier": 64, "supplier_name": 200, "grade": 100, "origin": 200, "code": 64}
CATEGORIES = {"post_consumer", "pre_consumer"}
_SEPARATORS = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class Table:
    """The rows of an export: (row number, {column: cell}) for each non-empty row."""

    columns: list[str]
    ignored: list[str]  # columns of the file that are not ours (a vehicle's plate, the driver)
    rows: list[tuple[int, dict[str, object]]]


@dataclass(frozen=True)
class Receipt:
    """One ticket, read: the event it records and the row it came from."""

    row: int
    ticket: str
    event: EventInput


class RowErrors(Exception):
    """What is wrong with one row, by column (`None`: the row as a whole)."""

    def __init__(self, errors: dict[str | None, list[str]]) -> None:
        super().__init__("; ".join(f"{column}: {m}" for column, msgs in errors.items() for m in msgs))
        self.errors = errors


def column_name(header: object) -> str:
    return _SEPARATORS.sub("_", str(header if header is not None else "").strip().lower())


def table_read(file_name: str, content: bytes) -> Table:
    """The export's rows, from CSV (UTF-8, comma, semicolon or tab separated) or XLSX (its first
    sheet). DomainError on the file field if it cannot be read or lacks a column."""
    if len(content) > MAX_BYTES:
        raise DomainError(
            "invalid",
            _("the file is larger than %(size)s MB") % {"size": MAX_BYTES // 1024 // 1024},
            field="file",
        )
    if content.startswith(b"PK\x03\x04") or file_name.lower().endswith(".xlsx"):
        cells = _xlsx_rows(content)
    elif file_name.lower().endswith((".csv", ".txt", ".tsv")):
        cells = _csv_rows(content)
    else:
        raise DomainError(
            "invalid", _("the file must be a weighbridge export as .csv or .xlsx"), field="file"
        )
    header = next(cells, None)
    if header is None:
        raise DomainError("invalid", _("the file is empty"), field="file")
    names = [column_name(cell) for cell in header]
    columns = [name for name in names if name in COLUMNS]
    missing = [name for name in REQUIRED if name not in columns]
    if not set(SUPPLIER_COLUMNS) & set(columns):
        missing.append("supplier (or supplier_name)")
    if "net_kg" not in columns and not {"gross_kg", "tare_kg"} <= set(columns):
        missing.append("net_kg (or gross_kg and tare_kg)")
    if "weighed_at" not in columns and "date" not in columns:
        missing.append("weighed_at (or date and time)")
    if missing:
        raise DomainError(
            "invalid",
            _("the header row lacks the columns %(columns)s") % {"columns": ", ".join(missing)},
            field="file",
        )
    twice = sorted({name for name in columns if columns.count(name) > 1})
    if twice:
        raise DomainError(
            "invalid",
            _("the header row names %(columns)s twice") % {"columns": ", ".join(twice)},
            field="file",
        )
    rows = []
    for number, cells_of_row in enumerate(cells, start=2):
        values = dict(zip(names, cells_of_row, strict=False))
        if all(_blank(value) for value in values.values()):
            continue  # spreadsheets end with empty rows
        rows.append((number, {name: values.get(name) for name in columns}))
        if len(rows) > MAX_ROWS:
            raise DomainError(
                "invalid",
                _("the file has more than %(count)s rows: split it") % {"count": MAX_ROWS},
                field="file",
            )
    if not rows:
        raise DomainError("invalid", _("the file has a header row but no tickets"), field="file")
    ignored = [str(cell).strip() for cell, name in zip(header, names, strict=True) if name not in COLUMNS]
    return Table(columns, [name for name in ignored if name], rows)


def _csv_rows(content: bytes):
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DomainError(
            "invalid",
            _("the file is not UTF-8 text (byte %(byte)s); export it as CSV UTF-8") % {"byte": exc.start},
            field="file",
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    return iter(csv.reader(io.StringIO(text), delimiter=delimiter))


def _xlsx_rows(content: bytes):
    from openpyxl import load_workbook  # only imports for an XLSX file

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DomainError(
            "invalid",
            _("the file is not a readable XLSX workbook (%(error)s)") % {"error": exc},
            field="file",
        ) from None
    return workbook.worksheets[0].iter_rows(values_only=True)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str:
    """A cell as text: a spreadsheet's whole numbers (a ticket 4711 read as 4711.0) without '.0'."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _kg(value: object, column: str) -> int:
    """A cell's mass in kg → grams (numbers from a spreadsheet, decimal text from CSV)."""
    if isinstance(value, float):
        value = str(Decimal(repr(value)))  # the shortest text that is this float: 18250.5, not …4999
    elif not isinstance(value, str | int) or isinstance(value, bool):
        value = _text(value)
    text = str(value).strip()
    if "," in text:
        raise DomainError(
            "invalid",
            _("write %(text)s without thousands separators, with a decimal point") % {"text": quoted(text)},
            field=column,
        )
    return parse_mass(text, column)


def _moment(cells: dict[str, object], zone: ZoneInfo) -> datetime:
    """When the ticket was weighed: `weighed_at`, or `date` and `time`; naive times are in `zone`."""
    column = "weighed_at" if "weighed_at" in cells else "date"
    value = cells.get(column)
    if "weighed_at" not in cells and not _blank(cells.get("time")):
        clock = cells["time"]
        clock = clock if isinstance(clock, time) else _parse(_text(clock), "time", time.fromisoformat)
        day = value.date() if isinstance(value, datetime) else value
        day = day if isinstance(day, date) else _parse(_text(value), "date", date.fromisoformat)
        value = datetime.combine(day, clock)
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if not isinstance(value, datetime):
        if _blank(value):
            raise DomainError("invalid", _("this field is required"), field=column)
        value = _parse(_text(value).replace(" ", "T", 1), column, datetime.fromisoformat)
    return value if value.tzinfo else value.replace(tzinfo=zone)


def _parse(text: str, column: str, parse):
    try:
        return parse(text)
    except ValueError:
        example = {"time": "07:30", "date": "2026-11-20"}.get(column, "2026-11-20 07:30")
        raise DomainError(
            "invalid",
            _("%(text)s is not a %(column)s such as %(example)s")
            % {"text": quoted(text), "column": column.replace("_", " "), "example": example},
            field=column,
        ) from None


def receipt_read(number: int, cells: dict[str, object], zone: ZoneInfo) -> Receipt:
    """One row as a scrap.received event; RowErrors with every problem of the row at once."""
    errors: dict[str | None, list[str]] = {}

    def check(column, read):
        try:
            return read()
        except DomainError as error:
            for field, messages in error.errors.items():
                errors.setdefault(field or column, []).extend(messages)
            return None

    def required_text(column: str) -> str:
        text = _text(cells.get(column))
        if not text:
            raise DomainError("invalid", _("this field is required"), field=column)
        if len(text) > TEXT.get(column, 100):
            raise DomainError(
                "invalid", _("at most %(count)s characters") % {"count": TEXT.get(column, 100)}, field=column
            )
        return text

    def supplier() -> dict[str, str]:
        given = [column for column in SUPPLIER_COLUMNS if _text(cells.get(column))]
        if len(given) > 1:
            raise DomainError(
                "invalid",
                _("give the supplier (on remelt) or the supplier_name (not on remelt), not both"),
                field="supplier_name",
            )
        if not given:
            column = next(column for column in SUPPLIER_COLUMNS if column in cells)
            raise DomainError("invalid", _("this field is required"), field=column)
        return {given[0]: required_text(given[0])}

    def category() -> str:
        text = required_text("category")
        value = column_name(text)
        if value not in CATEGORIES:
            raise DomainError(
                "invalid",
                _("%(text)s is not a category: post_consumer or pre_consumer") % {"text": quoted(text)},
                field="category",
            )
        return value

    def net_g() -> int:
        if "net_kg" in cells and not _blank(cells["net_kg"]):
            net = _kg(cells["net_kg"], "net_kg")
            if {"gross_kg", "tare_kg"} <= cells.keys() and not _blank(cells["gross_kg"]):
                gross, tare = _kg(cells["gross_kg"], "gross_kg"), _kg(cells["tare_kg"], "tare_kg")
                if gross - tare != net:
                    raise DomainError(
                        "invalid",
                        _("gross %(gross)s − tare %(tare)s kg is not the net %(net)s kg")
                        % {"gross": format_kg(gross), "tare": format_kg(tare), "net": format_kg(net)},
                        field="net_kg",
                    )
            return net
        if "gross_kg" not in cells:
            raise DomainError("invalid", _("this field is required"), field="net_kg")
        gross, tare = _kg(cells["gross_kg"], "gross_kg"), _kg(cells.get("tare_kg"), "tare_kg")
        if tare >= gross:
            raise DomainError("invalid", _("the tare is not less than the gross weight"), field="tare_kg")
        return gross - tare

    ticket = check("ticket", lambda: required_text("ticket"))
    data = {
        **(check("supplier", supplier) or {}),
        "grade": check("grade", lambda: required_text("grade")),
        "category": check("category", category),
        "transport": {
            "distance_km": check("distance_km", lambda: required_text("distance_km")),
            "mode": check("mode", lambda: required_text("mode").lower()),
        },
    }
    grams = check("net_kg", net_g)
    occurred_at = check("weighed_at", lambda: _moment(cells, zone))
    for column in ("code", "origin"):
        if text := _text(cells.get(column)):
            data[column] = text
    if errors:
        raise RowErrors(errors)
    data["mass_kg"] = format_kg(grams)
    data["documents"] = [ticket]
    return Receipt(number, ticket, EventInput(SCRAP_RECEIVED, occurred_at, data))


def ledger_column(field: str, cells: dict[str, object]) -> str | None:
    """The column a ledger error's field path (`data.mass_kg`, `occurred_at` …) is about."""
    if field == "occurred_at":
        return "weighed_at" if "weighed_at" in cells else "date"
    name = field.removeprefix("data.")
    if name == "mass_kg":
        return "net_kg" if "net_kg" in cells else "gross_kg"
    if name.startswith("transport."):
        return name.removeprefix("transport.").split(".")[0]
    if name.startswith("documents"):
        return "ticket"
    return name if name in COLUMNS else None
