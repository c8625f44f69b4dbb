"""A shipment's CBAM document as PDF (fpdf2): what the importer files for a custody transfer."""

from fpdf import FPDF

from cbam.selectors import Shipment
from ledger.quantities import format_kg


def _text(value: object) -> str:
    # The PDF's core fonts are Latin-1; anything else is shown as "?" rather than refused.
    return str(value).encode("latin-1", "replace").decode("latin-1")


def shipment_pdf(shipment: Shipment, *, url: str) -> bytes:
    transfer = shipment.transfer
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(f"CBAM shipment {transfer.entry_id}")
    pdf.set_creator("remelt")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 15)
    pdf.cell(
        0,
        9,
        _text(f"CBAM embedded emissions of shipment #{transfer.entry_id}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("helvetica", size=10)
    lines = [
        f"From {transfer.from_organisation.name} to {transfer.to_organisation.name}, "
        f"{transfer.occurred_at:%Y-%m-%d %H:%M} UTC (ledger entry #{transfer.entry_id}).",
        "Specific direct embedded emissions (SEE direct, t CO2e per t) of each lot, from its installation's "
        "CBAM report (method cbam-1).",
        "This is not the product carbon footprint of the passports.",
    ]
    for line in lines:
        pdf.multi_cell(0, 5, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    header = ["Lot", "CN code", "Net mass kg", "Installation", "Period", "SEE direct t CO2e/t", "Report"]
    widths = [34, 20, 28, 50, 48, 32, 65]
    pdf.set_font("helvetica", "B", 9)
    for label, width in zip(header, widths, strict=True):
        pdf.cell(width, 7, label, border=1)
    pdf.ln()
    pdf.set_font("helvetica", size=9)
    for line in shipment.lines:
        report = line.report
        period = report.document["period"] if report else None
        cells = [
            line.lot.code,
            line.cn_code,
            format_kg(line.mass_g),
            f"{line.installation.code} ({line.installation.country})"
            if line.installation
            else "no installation",
            f"{period['start'][:10]} to {period['end'][:10]}" if period else "no report",
            line.see_direct or "-",
            f"v{report.version} sha256 {report.digest[:16]}..." if report else "-",
        ]
        for value, width in zip(cells, widths, strict=True):
            pdf.cell(width, 7, _text(value), border=1)
        pdf.ln()
    pdf.ln(4)
    pdf.set_font("helvetica", size=8)
    for line in shipment.lines:
        if line.report is not None:
            pdf.multi_cell(
                0,
                4,
                _text(
                    f"{line.lot.code}: report digest {line.report.digest}, anchored by ledger entry "
                    f"#{line.report.anchor_id}"
                ),
                new_x="LMARGIN",
                new_y="NEXT",
            )
    pdf.multi_cell(0, 4, _text(f"Online: {url}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
