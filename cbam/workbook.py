"""A report as an XLSX workbook laid out like the Commission's communication template for
installations: installation data, processes, purchased precursors, and the summaries of the
products and of the communication. Its sheets and cells are documented in the README; every
figure is the report document's, as a number (or text where the document has none)."""

from decimal import Decimal
from io import BytesIO

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


def report_workbook(report: CbamReport) -> bytes:
    document = report.document
    site, period, entries = document["installation"], document["period"], document["entries"]
    book = Workbook()
    data = book.active
    data.title = SHEETS[0]
    _title(data, "Installation data (CBAM communication, method cbam-1)")
    coordinates = site.get("coordinates") or {}
    facts = [
        ("Installation code", site["code"]),
        ("Installation name", site["name"]),
        ("Operator", f"{site['operator']['name']} ({site['operator']['id']})"),
        ("Address", site["address"]),
        ("Country", site["country"]),
        ("UN/LOCODE", site.get("unlocode", "")),
        ("Latitude", _number(coordinates.get("latitude"))),
        ("Longitude", _number(coordinates.get("longitude"))),
        ("Registry identifier", site.get("registry_id", "")),
        ("Reporting period start", period["start"]),
        ("Reporting period end", period["end"]),
        ("Furnaces", ", ".join(site["furnaces"])),
        ("Casting lines", ", ".join(site["casting_lines"])),
        ("Method", document["method"]),
        ("Factor set", document["factor_set"]["version"]),
        ("Report version", report.version),
        ("Report digest (SHA-256)", report.digest),
        ("Ledger entries used", f"{entries['first']}–{entries['last']} ({entries['count']})"),
        ("Entries digest (SHA-256)", entries["digest"]),
        ("Anchor entry", report.anchor_id),
    ]
    for row, (label, value) in enumerate(facts, start=3):
        data.cell(row=row, column=1, value=label).font = BOLD
        data.cell(row=row, column=2, value=value)
    data.column_dimensions["A"].width = 28
    data.column_dimensions["B"].width = 70

    processes = book.create_sheet(SHEETS[1])
    _title(processes, "Processes: the melts and casts of the period (direct emissions from fuel)")
    _table(
        processes,
        [
            "Entry",
            "Process",
            "Occurred at (UTC)",
            "Natural gas m3",
            "Electricity kWh",
            "Direct emissions kg CO2e",
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
    _title(precursors, "Purchased precursors (CBAM goods consumed); scrap carries no emissions")
    _table(
        precursors,
        ["Material", "Mass t", "SEE direct t CO2e/t", "Source", "Embedded emissions kg CO2e"],
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
    _title(products, "Summary of products")
    _table(
        products,
        [
            "CN code",
            "Alloys",
            "Route",
            "Production t",
            "Direct embedded emissions kg CO2e",
            "SEE direct t CO2e/t",
            "SEE indirect t CO2e/t (information)",
            "Electricity MWh/t (information)",
            "Scrap t/t",
            "Pre-consumer scrap %",
            "Precursor data",
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
        communication, "Summary of the communication to the importer (embedded emissions, not a footprint)"
    )
    _table(
        communication,
        [
            "CN code",
            "Installation",
            "Country",
            "Period start",
            "Period end",
            "SEE direct t CO2e/t",
            "Determination",
            "SEE indirect t CO2e/t",
            "Electricity MWh/t",
            "Report digest",
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
    out = BytesIO()
    book.save(out)
    return out.getvalue()
