"""A report as an XLSX workbook laid out like the Commission's communication template for
installations: installation data, processes, purchased precursors, and the summaries of the
products and of the communication. Its sheets and cells are documented in the README; every
figure is the report document's, as a number (or text where the document has none).

Its labels are English, the template's own, whoever downloads it (programs read them); in
another language the workbook has one more sheet, last, that gives every label of the others in
that language, with its sheet and cell."""

from decimal import Decimal
from io import BytesIO

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook
from openpyxl.styles import Font

from cbam.models import CbamReport

SHEETS = ("A_InstData", "D_Processes", "E_PurchPrec", "Summary_Products", "Summary_Communication")
BOLD = Font(bold=True)


def _number(text: str | None):
    return Decimal(text) if text is not None else None


def _title(sheet, text: str) -> None:
    sheet["A1"] = text
    sheet["A1"].font = Font(bold=True, size=13)


def _table(sheet, header: list[str], rows: list[list]) -> None:
    """A header in row 3 and one line per row from row 4."""
    for column, label in enumerate(header, start=1):
        cell = sheet.cell(row=3, column=column, value=label)
        cell.font = BOLD
        sheet.column_dimensions[cell.column_letter].width = max(14, len(label) + 2)
    for index, row in enumerate(rows, start=4):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=index, column=column, value=value)


def _label_cells(sheet):
    """The cells of a sheet that hold labels: its title (A1) and its table's header (row 3), or on
    the installation's sheet the labels in column A."""
    if sheet.title == SHEETS[0]:
        cells = [sheet["A1"], *(row[0] for row in sheet.iter_rows(min_row=3))]
    else:
        cells = [sheet["A1"], *sheet[3]]
    return [cell for cell in cells if isinstance(cell.value, str)]


def _labels_sheet(book) -> None:
    """In a language other than English, a last sheet naming every label in that language."""
    if translation.get_language().startswith("en"):
        return
    sheet = book.create_sheet(_("Labels"))
    _title(sheet, _("The workbook's labels in your language (the sheets keep the template's English)"))
    _table(sheet, [_("Sheet"), _("Cell"), _("Label"), _("In your language")], [])
    row = 4
    for other in book.worksheets[:-1]:
        for cell in _label_cells(other):
            for column, value in enumerate((other.title, cell.coordinate, cell.value, _(cell.value)), 1):
                sheet.cell(row=row, column=column, value=value)
            row += 1
    sheet.column_dimensions["C"].width = sheet.column_dimensions["D"].width = 60


def report_workbook(report: CbamReport) -> bytes:
    document = report.document
    site, period, entries = document["installation"], document["period"], document["entries"]
    book = Workbook()
    data = book.active
    data.title = SHEETS[0]
    _title(data, gettext_noop("Installation data (CBAM communication, method cbam-1)"))
    coordinates = site.get("coordinates") or {}
    facts = [
        (gettext_noop("Installation code"), site["code"]),
        (gettext_noop("Installation name"), site["name"]),
        (gettext_noop("Operator"), f"{site['operator']['name']} ({site['operator']['id']})"),
        (gettext_noop("Address"), site["address"]),
        (gettext_noop("Country"), site["country"]),
        (gettext_noop("UN/LOCODE"), site.get("unlocode", "")),
        (gettext_noop("Latitude"), _number(coordinates.get("latitude"))),
        (gettext_noop("Longitude"), _number(coordinates.get("longitude"))),
        (gettext_noop("Registry identifier"), site.get("registry_id", "")),
        (gettext_noop("Reporting period start"), period["start"]),
        (gettext_noop("Reporting period end"), period["end"]),
        (gettext_noop("Furnaces"), ", ".join(site["furnaces"])),
        (gettext_noop("Casting lines"), ", ".join(site["casting_lines"])),
        (gettext_noop("Method"), document["method"]),
        (gettext_noop("Factor set"), document["factor_set"]["version"]),
        (gettext_noop("Report version"), report.version),
        (gettext_noop("Report digest (SHA-256)"), report.digest),
        (gettext_noop("Ledger entries used"), f"{entries['first']}–{entries['last']} ({entries['count']})"),
        (gettext_noop("Entries digest (SHA-256)"), entries["digest"]),
        (gettext_noop("Anchor entry"), report.anchor_id),
    ]
    for row, (label, value) in enumerate(facts, start=3):
        data.cell(row=row, column=1, value=label).font = BOLD
        data.cell(row=row, column=2, value=value)
    data.column_dimensions["A"].width = 28
    data.column_dimensions["B"].width = 70

    processes = book.create_sheet(SHEETS[1])
    _title(
        processes, gettext_noop("Processes: the melts and casts of the period (direct emissions from fuel)")
    )
    _table(
        processes,
        [
            gettext_noop("Entry"),
            gettext_noop("Process"),
            gettext_noop("Occurred at (UTC)"),
            gettext_noop("Natural gas m3"),
            gettext_noop("Electricity kWh"),
            gettext_noop("Direct emissions kg CO2e"),
        ],
        [
            [
                row["seq"],
                row["type"],
                row["occurred_at"],
                _number(row["natural_gas_m3"]),
                _number(row["electricity_kwh"]),
                _number(row["direct_emissions_kg_co2e"]),
            ]
            for row in document["processes"]
        ],
    )

    precursors = book.create_sheet(SHEETS[2])
    _title(precursors, gettext_noop("Purchased precursors (CBAM goods consumed); scrap carries no emissions"))
    _table(
        precursors,
        [
            gettext_noop("Material"),
            gettext_noop("Mass t"),
            gettext_noop("SEE direct t CO2e/t"),
            gettext_noop("Source"),
            gettext_noop("Embedded emissions kg CO2e"),
        ],
        [
            [
                p["material"],
                _number(p["mass_t"]),
                _number(p["see_direct_t_co2e_per_t"]),
                p["source"],
                _number(p["emissions_kg_co2e"]),
            ]
            for p in document["precursors"]
        ],
    )

    products = book.create_sheet(SHEETS[3])
    _title(products, gettext_noop("Summary of products"))
    _table(
        products,
        [
            gettext_noop("CN code"),
            gettext_noop("Alloys"),
            gettext_noop("Route"),
            gettext_noop("Production t"),
            gettext_noop("Direct embedded emissions kg CO2e"),
            gettext_noop("SEE direct t CO2e/t"),
            gettext_noop("SEE indirect t CO2e/t (information)"),
            gettext_noop("Electricity MWh/t (information)"),
            gettext_noop("Scrap t/t"),
            gettext_noop("Pre-consumer scrap %"),
            gettext_noop("Precursor data"),
        ],
        [
            [
                good["cn_code"],
                ", ".join(good["alloys"]),
                good["route"],
                _number(good["production_t"]),
                _number(good["allocated_direct_emissions_kg_co2e"]),
                _number(good["see_direct_t_co2e_per_t"]),
                _number(good["see_indirect_t_co2e_per_t"]),
                _number(good["electricity_mwh_per_t"]),
                _number(good["qualifying_parameters"]["scrap_t_per_t"]),
                _number(good["qualifying_parameters"]["pre_consumer_scrap_percent"]),
                good["data_quality"]["precursors"],
            ]
            for good in document["goods"]
        ],
    )

    communication = book.create_sheet(SHEETS[4])
    _title(
        communication,
        gettext_noop("Summary of the communication to the importer (embedded emissions, not a footprint)"),
    )
    _table(
        communication,
        [
            gettext_noop("CN code"),
            gettext_noop("Installation"),
            gettext_noop("Country"),
            gettext_noop("Period start"),
            gettext_noop("Period end"),
            gettext_noop("SEE direct t CO2e/t"),
            gettext_noop("Determination"),
            gettext_noop("SEE indirect t CO2e/t"),
            gettext_noop("Electricity MWh/t"),
            gettext_noop("Report digest"),
        ],
        [
            [
                good["cn_code"],
                site["code"],
                site["country"],
                period["start"],
                period["end"],
                _number(good["see_direct_t_co2e_per_t"]),
                "actual (precursors: " + good["data_quality"]["precursors"] + ")",
                _number(good["see_indirect_t_co2e_per_t"]),
                _number(good["electricity_mwh_per_t"]),
                report.digest,
            ]
            for good in document["goods"]
        ],
    )
    notes_row = 5 + len(document["goods"])
    for offset, note in enumerate(document["notes"]):
        communication.cell(row=notes_row + offset, column=1, value=note)
    _labels_sheet(book)
    out = BytesIO()
    book.save(out)
    return out.getvalue()
