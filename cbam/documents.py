"""A shipment's CBAM document as PDF (fpdf2): what the importer files for a custody transfer.

The sheet is in English, in Chinese, or in both (every label in Chinese and then English, as
the passport's `?lang=both` print), so one sheet serves the plant and the importer. Lot codes,
CN codes, masses and figures are the same in every language.

Chinese needs a CJK font: Noto Sans CJK SC from Debian's fonts-noto-cjk (`CJK_FONT_FILE`,
embedded as a subset of the glyphs used). Without it an English sheet is set in the PDF's core
font (Latin-1: other characters become "?"), and a Chinese or bilingual one is refused with
`CjkFontMissing`, which the page answers as a 503 naming the missing file.
"""

from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from fpdf import FPDF

from cbam.selectors import Shipment
from ledger.quantities import format_kg

ENGLISH, CHINESE = "en-gb", "zh-hans"
SC_FACE = 2  # Noto Sans CJK's collections hold JP, KR, SC, TC, HK: the third is Simplified Chinese


class CjkFontMissing(Exception):
    """A Chinese sheet was asked for and the CJK font file is not there."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The Chinese CBAM sheet needs the CJK font {path} (Debian: apt-get install fonts-noto-cjk; "
            "or set CJK_FONT_FILE and CJK_FONT_BOLD_FILE)."
        )
        self.path = path


def languages_asked(asked: str | None) -> tuple[str, ...]:
    """`?lang=both` → Chinese then English; else the page's language."""
    if asked == "both":
        return (CHINESE, ENGLISH)
    return (CHINESE,) if translation.get_language() == CHINESE else (ENGLISH,)


class _Sheet:
    def __init__(self, languages: Sequence[str]) -> None:
        self.languages = tuple(languages)
        self.pdf = FPDF(orientation="landscape", format="A4")
        regular, bold = Path(settings.CJK_FONT_FILE), Path(settings.CJK_FONT_BOLD_FILE)
        self.cjk = regular.is_file() and bold.is_file()
        if self.cjk:
            self.pdf.add_font("cjk", "", regular, collection_font_number=SC_FACE)
            self.pdf.add_font("cjk", "B", bold, collection_font_number=SC_FACE)
        elif CHINESE in self.languages:
            raise CjkFontMissing(regular if not regular.is_file() else bold)

    def font(self, style: str, size: float) -> None:
        self.pdf.set_font("cjk" if self.cjk else "helvetica", style, size)

    def text(self, value: object) -> str:
        if self.cjk:
            return str(value)
        # The core fonts are Latin-1; anything else is shown as "?" rather than refused.
        return str(value).encode("latin-1", "replace").decode("latin-1")

    def words(self, message, values: dict | None = None, separator: str = "\n") -> str:
        """A gettext_lazy `message` (with its %(name)s `values`) in each language of the sheet."""
        said = []
        for language in self.languages:
            with translation.override(language):
                said.append(str(message) % values if values is not None else str(message))
        return separator.join(dict.fromkeys(said))  # a text said alike in both appears once


def shipment_pdf(shipment: Shipment, *, url: str, languages: Sequence[str] = (ENGLISH,)) -> bytes:
    transfer = shipment.transfer
    sheet = _Sheet(languages)
    pdf = sheet.pdf
    pdf.set_title(sheet.words(_("CBAM shipment %(seq)s"), {"seq": transfer.entry_id}, separator=" / "))
    pdf.set_creator("remelt")
    pdf.set_lang("zh-Hans" if sheet.languages[0] == CHINESE else "en")
    pdf.add_page()
    sheet.font("B", 15 if len(sheet.languages) == 1 else 13)
    title = sheet.words(_("CBAM embedded emissions of shipment #%(seq)s"), {"seq": transfer.entry_id})
    pdf.multi_cell(0, 7, sheet.text(title), new_x="LMARGIN", new_y="NEXT")
    sheet.font("", 10)
    facts = {
        "sender": transfer.from_organisation.name,
        "receiver": transfer.to_organisation.name,
        "when": f"{transfer.occurred_at:%Y-%m-%d %H:%M}",
        "seq": transfer.entry_id,
    }
    lines = [
        (_("From %(sender)s to %(receiver)s, %(when)s UTC (ledger entry #%(seq)s)."), facts),
        (
            _(
                "Specific direct embedded emissions (SEE direct, t CO2e per t) of each lot, from its "
                "installation's CBAM report (method cbam-1)."
            ),
            None,
        ),
        (_("This is not the product carbon footprint of the passports."), None),
    ]
    for message, values in lines:
        pdf.multi_cell(0, 5, sheet.text(sheet.words(message, values)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    header = [
        _("Lot"),
        _("CN code"),
        _("Net mass kg"),
        _("Installation"),
        _("Period"),
        _("SEE direct t CO2e/t"),
        _("Report"),
    ]
    widths = (34, 20, 28, 50, 48, 32, 65)
    rows = []
    for line in shipment.lines:
        report = line.report
        period = report.document["period"] if report else None
        rows.append(
            [
                line.lot.code,
                line.cn_code,
                format_kg(line.mass_g),
                f"{line.installation.code} ({line.installation.country})"
                if line.installation
                else sheet.words(_("no installation"), separator=" / "),
                sheet.words(
                    _("%(start)s to %(end)s"), {"start": period["start"][:10], "end": period["end"][:10]}
                )
                if period
                else sheet.words(_("no report"), separator=" / "),
                line.see_direct or "-",
                f"v{report.version} sha256 {report.digest[:16]}..." if report else "-",
            ]
        )
    sheet.font("", 9)
    with pdf.table(
        col_widths=widths, width=sum(widths), align="LEFT", line_height=5, first_row_as_headings=True
    ) as table:
        heading = table.row()
        for label in header:
            heading.cell(sheet.text(sheet.words(label)))
        for cells in rows:
            row = table.row()
            for value in cells:
                row.cell(sheet.text(value))
    pdf.ln(4)
    sheet.font("", 8)
    for line in shipment.lines:
        if line.report is not None:
            digest = {"lot": line.lot.code, "digest": line.report.digest, "seq": line.report.anchor_id}
            said = sheet.words(
                _("%(lot)s: report digest %(digest)s, anchored by ledger entry #%(seq)s"), digest
            )
            pdf.multi_cell(0, 4, sheet.text(said), new_x="LMARGIN", new_y="NEXT")
    online = sheet.words(_("Online: %(url)s"), {"url": url})
    pdf.multi_cell(0, 4, sheet.text(online), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
