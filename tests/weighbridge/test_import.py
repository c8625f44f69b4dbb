"""Weighbridge exports (CSV and XLSX) recorded as scrap receipts: all or none, every row's errors
at once, overlapping exports safe, from the admin and from manage.py."""

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook

from accounts.models import Role
from accounts.services import organisation_create, user_create
from ledger.errors import DomainError
from ledger.models import Entry, Lot
from weighbridge.models import ImportedTicket, ReceiptImport
from weighbridge.rules import COLUMNS
from weighbridge.services import receipts_import

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = (
    "Ticket;Weighed at;Plate;Supplier;Supplier name;Grade;Category;Gross kg;Tare kg;Net kg;Distance km;Mode;"
    "Origin"
)
GOOD = [
    "T-4711;2026-11-20 07:30;粤A1;guangfa-scrap;;ISRI Tense;post_consumer;32150;13900;18250;180;truck;Foshan",
    "T-4712;2026-11-20 09:05;粤B55555;;Lianhe ELV;ISRI Troma;post-consumer;28000.5;12000;16000.5;95;truck;",
    "T-4713;2026-11-20T10:00:00+08:00;;;Jinghua Die Casting;A380 runners;Pre consumer;;;9000;600;rail;Ningbo",
]


@pytest.fixture(autouse=True)
def guangfa(db):
    """The supplier on remelt that the tickets name by its slug (the others are named in
    `Supplier name`: they are not on remelt)."""
    return organisation_create(slug="guangfa-scrap", name="Guangfa Scrap", roles=[Role.SCRAP_SUPPLIER])


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode()  # Excel's "CSV UTF-8"


def _import(org, content: bytes, name: str = "wb-2026-11-20.csv"):
    return receipts_import(organisation=org, actor="user:ops", file_name=name, content=content, zone=SHANGHAI)


def _refusal(org, content: bytes, name: str = "wb.csv") -> dict[str, list[str]]:
    before = Entry.objects.count(), ReceiptImport.objects.count(), ImportedTicket.objects.count()
    with pytest.raises(DomainError) as refused:
        _import(org, content, name)
    after = Entry.objects.count(), ReceiptImport.objects.count(), ImportedTicket.objects.count()
    assert after == before  # nothing written
    return refused.value.errors


def test_a_csv_export_becomes_scrap_receipts(alurec):
    done = _import(alurec, _csv(*GOOD))
    assert (done.recorded, done.skipped) == (3, 0)
    tickets = {ticket.ticket: ticket for ticket in ImportedTicket.objects.select_related("entry")}
    first = tickets["T-4711"].entry
    assert first.type == "scrap.received" and first.organisation == alurec and first.actor == "user:ops"
    assert first.occurred_at == datetime(2026, 11, 19, 23, 30, tzinfo=UTC)  # 07:30 in Shanghai
    assert first.data["mass_kg"] == "18250.000" and first.data["documents"] == ["T-4711"]
    assert first.data["transport"] == {"distance_km": "180.000", "mode": "truck"}
    assert first.data["origin"] == "Foshan"
    second = tickets["T-4712"].entry.data
    assert (second["mass_kg"], second["category"]) == ("16000.500", "post_consumer")  # gross − tare
    third = tickets["T-4713"].entry
    assert (
        third.occurred_at == datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
        and third.data["category"] == "pre_consumer"
    )
    lots = Lot.objects.filter(code__in=[t.lot_code for t in tickets.values()])
    assert {lot.owner for lot in lots} == {alurec} and sum(lot.mass_g for lot in lots) == 43_250_500
    assert (done.first_seq, done.last_seq) == (first.seq, third.seq)


def test_an_xlsx_export_becomes_scrap_receipts(alurec):
    book = Workbook()
    sheet = book.active
    sheet.append(["Ticket", "Date", "Time", "Supplier", "Grade", "Category", "Net kg", "Distance km", "Mode"])
    sheet.append(
        [
            4711,
            datetime(2026, 11, 20),
            "07:30",
            "guangfa-scrap",
            "ISRI Tense",
            "post_consumer",
            18250.5,
            180,
            "truck",
        ]
    )
    sheet.append(
        [
            4712.0,
            datetime(2026, 11, 21),
            "08:00",
            "guangfa-scrap",
            "ISRI Tense",
            "post_consumer",
            12000,
            180.5,
            "ship",
        ]
    )
    sheet.append([None] * 9)  # spreadsheets end with empty rows
    content = io.BytesIO()
    book.save(content)
    done = _import(alurec, content.getvalue(), "weighbridge.xlsx")
    assert done.recorded == 2
    by_ticket = {t.ticket: t.entry for t in ImportedTicket.objects.select_related("entry")}
    assert set(by_ticket) == {"4711", "4712"}  # whole numbers, not "4712.0"
    assert by_ticket["4711"].data["mass_kg"] == "18250.500"
    assert by_ticket["4711"].occurred_at == datetime(2026, 11, 19, 23, 30, tzinfo=UTC)
    assert by_ticket["4712"].data["transport"]["distance_km"] == "180.500"


def test_a_bad_file_writes_nothing_and_names_every_rows_errors(alurec):
    errors = _refusal(
        alurec,
        _csv(
            GOOD[0],
            "T-2;2026-11-20 08:00;;guangfa-scrap;;ISRI Tense;household;20000;1000;19000.1234;180;truck;",
            "T-3;20.11.2026;;;;ISRI Tense;post_consumer;;;18,250;180;truck;",
            "T-4;2026-11-20 09:00;;guangfa-scrap;;ISRI Tense;post_consumer;20000;1000;19000;180;lorry;",
            "T-4711;2026-11-20 10:00;;guangfa-scrap;;ISRI Tense;post_consumer;;;1000;180;truck;",
        ),
    )
    # Row 5 passes the file's checks; the ledger's rules refuse it, named by its column too.
    [mode] = errors.pop("rows[5].mode")
    assert mode.startswith("unknown transport mode 'lorry'; one of ")
    assert errors == {
        "rows[3].category": ["'household' is not a category: post_consumer or pre_consumer"],
        "rows[3].net_kg": ["mass has more than 3 decimals"],
        "rows[4].supplier": ["this field is required"],
        "rows[4].net_kg": ["write '18,250' without thousands separators, with a decimal point"],
        "rows[4].weighed_at": ["'20.11.2026' is not a weighed at such as 2026-11-20 07:30"],
        "rows[6].ticket": ["ticket T-4711 is also on row 2"],
    }


def test_a_supplier_is_an_organisation_on_remelt_or_a_name_never_a_typo(alurec):
    errors = _refusal(
        alurec,
        _csv(
            GOOD[0],
            "T-2;2026-11-20 08:00;;guangfa;;ISRI Tense;post_consumer;;;1000;180;truck;",
            "T-3;2026-11-20 09:00;;guangfa-scrap;Guangfa;ISRI Tense;post_consumer;;;1000;180;truck;",
        ),
    )
    assert errors == {
        "rows[3].supplier": [
            "no organisation 'guangfa'; give a platform organisation's slug, or name a supplier not on "
            "remelt in supplier_name"
        ],
        "rows[4].supplier_name": [
            "give the supplier (on remelt) or the supplier_name (not on remelt), not both"
        ],
    }
    done = _import(alurec, _csv(GOOD[0], GOOD[1]))
    lots = {ticket.ticket: Lot.objects.get(code=ticket.lot_code) for ticket in done.tickets.all()}
    assert (lots["T-4711"].supplier, lots["T-4711"].supplier_name) == ("guangfa-scrap", "")
    assert (lots["T-4712"].supplier, lots["T-4712"].supplier_name) == ("", "Lianhe ELV")


def test_a_file_without_a_supplier_column_is_refused(alurec):
    header = "Ticket;Weighed at;Grade;Category;Net kg;Distance km;Mode"
    [refusal] = _refusal(alurec, _csv("T-1;2026-11-20 07:30;wheels;post_consumer;10;1;truck", header=header))[
        "file"
    ]
    assert refusal == "the header row lacks the columns supplier (or supplier_name)"


def test_gross_minus_tare_must_be_the_net(alurec):
    errors = _refusal(
        alurec,
        _csv("T-1;2026-11-20 07:30;;guangfa-scrap;;ISRI Tense;post_consumer;32150;13900;18000;180;truck;"),
    )
    assert errors == {"rows[2].net_kg": ["gross 32150.000 − tare 13900.000 kg is not the net 18000.000 kg"]}


def test_only_the_rows_the_ledger_refuses_are_named(alurec):
    errors = _refusal(
        alurec,
        _csv(GOOD[0], "T-2;2026-11-20 08:00;;guangfa-scrap;;ISRI Tense;post_consumer;;;100;far;truck;"),
    )
    assert list(errors) == ["rows[3].distance_km"]


def test_an_overlapping_export_skips_the_tickets_recorded_and_refuses_changed_ones(alurec):
    _import(alurec, _csv(*GOOD[:2]), "monday.csv")
    later = _import(alurec, _csv(*GOOD), "monday-and-tuesday.csv")
    assert (later.recorded, later.skipped) == (1, 2)
    assert Entry.objects.filter(type="scrap.received").count() == 3
    changed = GOOD[1].replace("16000.5;95", "16000.5;96")
    errors = _refusal(alurec, _csv(changed), "corrected.csv")
    [message] = errors["rows[2].ticket"]
    assert (
        message.startswith("ticket T-4712 was recorded from monday.csv as ") and "amend that lot" in message
    )


def test_another_organisation_may_use_the_same_ticket_numbers(alurec, wheelworks):
    _import(alurec, _csv(GOOD[0]))
    assert _import(wheelworks, _csv(GOOD[0])).recorded == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("wb.pdf", b"%PDF-1.7", "the file must be a weighbridge export as .csv or .xlsx"),
        ("wb.csv", b"", "the file is empty"),
        ("wb.csv", _csv(header=HEADER), "the file has a header row but no tickets"),
        (
            "wb.csv",
            _csv(header="Ticket;Supplier;Grade;Category;Distance km;Mode"),
            "the header row lacks the columns net_kg (or gross_kg and tare_kg), weighed_at (or date and",
        ),
        (
            "wb.csv",
            "Ticket;Supplier\nT-1;x\n".encode("cp1252") + b"\xe9",
            "the file is not UTF-8 text (byte 22); export it as CSV UTF-8",
        ),
        ("wb.xlsx", b"PK\x03\x04 not really", "the file is not a readable XLSX workbook"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(alurec, name, content, message):
    [refusal] = _refusal(alurec, content, name)["file"]
    assert refusal.startswith(message)


def test_the_command_imports_and_reports_progress(alurec, tmp_path, capsys):
    export = tmp_path / "wb-2026-11-20.csv"
    export.write_bytes(_csv(*GOOD))
    out = io.StringIO()
    call_command("import_receipts", "alurec", str(export), "--timezone", "Asia/Shanghai", stdout=out)
    assert out.getvalue().startswith("OK 3 scrap receipts recorded for alurec, entries #")
    progress = capsys.readouterr().err
    assert "read 3 rows (ignored columns: Plate)" in progress and "recorded 3 receipts" in progress


def test_the_command_prints_every_error_and_exits_1(alurec, tmp_path):
    export = tmp_path / "wb.csv"
    export.write_bytes(_csv("T-9;2026-11-20 07:30;;;;ISRI Tense;post_consumer;;;0;180;truck;"))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_code:
        call_command("import_receipts", "alurec", str(export), stdout=out)
    assert exit_code.value.code == 1
    assert out.getvalue().splitlines() == [
        "FAIL 1 row of wb.csv has errors; nothing was imported",
        "  rows[2].supplier: this field is required",
        "  rows[2].net_kg: mass must be more than zero",
    ]


@pytest.fixture
def staff(cast, client):
    ops = user_create(
        username="ops", organisation=cast["remelt-ops"], password="pw-ops-imports", is_staff=True
    )
    ops.is_superuser = True
    ops.save(update_fields=["is_superuser"])
    client.force_login(ops)
    return client


def test_staff_import_in_the_admin(staff, alurec):
    upload = SimpleUploadedFile("wb-2026-11-20.csv", _csv(*GOOD), content_type="text/csv")
    response = staff.post(
        "/admin/weighbridge/receiptimport/add/",
        {"organisation": alurec.pk, "file": upload, "timezone": "Asia/Shanghai"},
        follow=True,
    )
    page = response.content.decode()
    assert "Imported wb-2026-11-20.csv: 3 scrap receipts recorded for Alurec as entries #" in page
    assert "T-4713" in page  # the import's page lists its tickets and their lots


def test_the_import_is_told_in_chinese_on_a_chinese_page(staff, alurec):
    upload = SimpleUploadedFile("wb.csv", _csv(*GOOD), content_type="text/csv")
    form = {"organisation": alurec.pk, "file": upload, "timezone": "Asia/Shanghai"}
    add = "/admin/weighbridge/receiptimport/add/"
    page = staff.post(add, form, follow=True, HTTP_ACCEPT_LANGUAGE="zh-CN")
    seqs = list(Entry.objects.filter(type="scrap.received").order_by("seq").values_list("seq", flat=True))
    message = f"已导入 wb.csv：为 Alurec 记录 3 笔废铝收货，台账记录 #{seqs[0]}–#{seqs[-1]}。"
    assert message in page.content.decode()
    again = SimpleUploadedFile("wb.csv", _csv(*GOOD), content_type="text/csv")
    form["file"] = again
    page = staff.post(add, form, follow=True, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "已导入 wb.csv：为 Alurec 记录 0 笔废铝收货。跳过 3 张此前已记录的磅单。" in page.content.decode()


def test_staff_see_every_error_of_a_refused_file(staff, alurec):
    bad = _csv("T-2;2026-11-20 08:00;;guangfa-scrap;;ISRI Tense;household;;;19000;180;truck;", GOOD[1])
    upload = SimpleUploadedFile("wb.csv", bad, content_type="text/csv")
    response = staff.post(
        "/admin/weighbridge/receiptimport/add/",
        {"organisation": alurec.pk, "file": upload, "timezone": "UTC"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "1 row of wb.csv has errors; nothing was imported" in page
    assert "<td><code>category</code></td><td>&#x27;household&#x27; is not a category: post_consumer" in page
    assert not Entry.objects.filter(type="scrap.received").exists()


def test_the_import_page_names_every_column_it_reads(staff):
    page = staff.get("/admin/weighbridge/receiptimport/add/").content.decode()
    for column in COLUMNS:
        assert f"<code>{column}</code>" in page, column
    assert "otherwise the next one" not in page  # generated codes count nothing


def test_users_who_may_not_record_cannot_import(cast, client, alurec):
    user_create(username="dana", organisation=alurec, password="pw-dana-imports", is_staff=True)
    client.login(username="dana", password="pw-dana-imports")
    assert client.get("/admin/weighbridge/receiptimport/add/").status_code == 403
