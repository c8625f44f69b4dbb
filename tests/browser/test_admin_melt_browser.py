"""Recording a melt through the admin in a real browser, as staff would (issue #19): choose the
organisation, choose the furnace from its installation's (another organisation without one is
offered the furnaces it used, or a new name), pick the input lots by search, add a row in the
page, submit with three mistakes and see all three, correct them and see the entry, then on the
staff desk. Screenshots go to tests/artifacts/.

The database is filled before the browser starts (Playwright's sync API runs an event loop in
this thread, and Django refuses ORM calls from it); what the browser recorded is read after.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect, sync_playwright

from accounts.services import user_create
from ledger.models import Entry, Lot
from ledger.services import EventInput, events_record
from tests.browser.conftest import CHROMIUM_ARGS
from tests.cbam.conftest import register

PASSWORD = "staff-records-melts"
TIMEOUT_MS = 20_000


def _receive(org, code: str, mass_kg: str, grade: str) -> None:
    data = {
        "code": code,
        "supplier": "scrapco",
        "grade": grade,
        "category": "post_consumer",
        "mass_kg": mass_kg,
        "transport": {"distance_km": "120", "mode": "truck"},
    }
    events_record(
        organisation=org, actor="user:t", events=[EventInput("scrap.received", timezone.now(), data)]
    )


def _pick_lot(page: Page, row: int, search: str, expected: str) -> None:
    """Open the lot picker of input row `row`, type, and choose the lot the list offers."""
    page.locator(f"#inputs-group tr.form-row:not(.empty-form) >> nth={row}").locator(
        ".select2-selection"
    ).click()
    page.locator(".select2-container--open .select2-search__field").fill(search)
    option = page.locator(".select2-results__option", has_text=expected)
    option.wait_for(timeout=TIMEOUT_MS)
    option.click()


def _expect_furnaces(page: Page, offered: list[str], typed: str = "") -> None:
    """Open the furnace picker, type `typed`, see that it offers exactly `offered`, close it."""
    page.locator("#id_furnace + .select2 .select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    if typed:
        search.press_sequentially(typed)
    expect(page.locator(".select2-container--open .select2-results__option")).to_have_text(offered)
    search.press("Escape")


def _error_of(page: Page, name: str) -> str:
    return page.locator(f"#id_{name}_error").inner_text()


@pytest.mark.django_db(transaction=True)
def test_staff_record_a_melt_in_the_browser(live_server, cast, chromium_executable, artifacts):
    ops = user_create(username="ops", organisation=cast["remelt-ops"], password=PASSWORD, is_staff=True)
    ops.is_superuser = True
    ops.save(update_fields=["is_superuser"])
    alurec, wheelworks = cast["alurec"], cast["wheelworks"]
    _receive(alurec, "SCR-TENSE-1", "1000", "ISRI Tense")
    _receive(alurec, "SCR-TENSE-2", "500", "ISRI Tense")
    _receive(alurec, "SCR-WHEELS-9", "800", "wheels")
    _receive(wheelworks, "SCR-TENSE-W", "900", "ISRI Tense")  # another holder's: never offered
    wheel_melt = {
        "furnace": "TC-65",
        "inputs": [{"lot": "SCR-TENSE-W", "mass_kg": "100"}],
        "output_mass_kg": "95",
    }
    events_record(
        organisation=wheelworks,
        actor="user:t",
        events=[EventInput("melt.recorded", timezone.now(), wheel_melt)],
    )
    register(alurec)  # HN-1, furnaces HN-1-RF1 "reverberatory 60 t" and HN-1-RF2

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{live_server.url}/admin/login/?next=/admin/ledger/lot/")
            page.fill("#id_username", "ops")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.get_by_role("link", name="Record a melt").click()
            expect(page.locator("h1")).to_have_text("Record a melt")

            # Wheelworks has no installation: the furnace it used, or a new name.
            page.select_option("#id_organisation", label="Wheelworks")
            _expect_furnaces(page, ["TC-65"])
            _expect_furnaces(page, ["TC-70"], typed="TC-70")
            # Alurec has registered HN-1: its furnaces, and nothing typed in.
            page.select_option("#id_organisation", label="Alurec")
            registered = [
                "HN-1-RF1 — reverberatory 60 t (HN-1 Huanan remelt plant 1)",
                "HN-1-RF2 (HN-1 Huanan remelt plant 1)",
            ]
            _expect_furnaces(page, registered)
            _expect_furnaces(page, ["No results found"], typed="TC-6")
            page.locator("#id_furnace + .select2 .select2-selection").click()
            page.screenshot(path=str(artifacts / "admin-melt-furnaces.png"))
            page.locator(".select2-results__option", has_text="HN-1-RF1").click()
            _pick_lot(page, 0, "tense", "SCR-TENSE-1 — Alurec, 1,000.000 kg left")
            assert page.locator(".select2-results__option", has_text="SCR-TENSE-W").count() == 0
            page.fill("#id_inputs-0-mass_kg", "1000")
            _pick_lot(page, 1, "wheels", "SCR-WHEELS-9 — Alurec, 800.000 kg left")
            page.fill("#id_inputs-1-mass_kg", "800")
            # A third input: a row added in the page; what was typed above stays.
            page.get_by_role("button", name="Add an input lot").click()
            _pick_lot(page, 2, "SCR-TENSE-2", "SCR-TENSE-2 — Alurec, 500.000 kg left")
            page.fill("#id_inputs-2-mass_kg", "600")  # mistake 1: it has 500 kg left
            assert page.input_value("#id_inputs-0-mass_kg") == "1000"
            page.select_option("#id_additions-0-material", "silicon")
            page.fill("#id_additions-0-mass_kg", "40")
            page.fill("#id_output_mass_kg", "2250")
            page.fill("#id_dross_kg", "60.1234")  # mistake 2: four decimals
            page.fill("#id_electricity_kwh", "-180")  # mistake 3: negative
            page.fill("#id_natural_gas_m3", "190")
            page.click("input[name=_record]")

            expect(page.locator(".errornote")).to_contain_text("Nothing was recorded")
            assert "500.000 kg left, 600.000 kg asked" in _error_of(page, "inputs-2-mass_kg")
            assert "more than 3 decimals" in _error_of(page, "dross_kg")
            assert "must not be negative" in _error_of(page, "electricity_kwh")
            # Everything typed is still there, the picked lots too.
            assert page.locator("#id_inputs-2-lot").input_value() == "SCR-TENSE-2"
            expect(page.locator("#inputs-group .select2-selection__rendered").nth(2)).to_contain_text(
                "SCR-TENSE-2 — Alurec"
            )
            assert page.input_value("#id_furnace") == "HN-1-RF1"
            expect(page.locator("#id_furnace + .select2 .select2-selection__rendered")).to_contain_text(
                "reverberatory 60 t"
            )
            page.screenshot(path=str(artifacts / "admin-melt-form.png"), full_page=True)

            page.fill("#id_inputs-2-mass_kg", "500")
            page.fill("#id_dross_kg", "60.123")
            page.fill("#id_electricity_kwh", "180")
            page.click("input[name=_record]")

            expect(page.locator(".messagelist .success")).to_contain_text("(melt.recorded) for Alurec")
            expect(page.locator("#content")).to_contain_text("HN-1-RF1")  # the melt's own page
            page.screenshot(path=str(artifacts / "admin-melt-recorded.png"), full_page=True)
            message = page.locator(".messagelist .success").inner_text()

            # The staff desk (the admin's index) counts today's melt and the stock it left.
            page.goto(f"{live_server.url}/admin/")
            expect(
                page.locator("#desk-activity tbody tr", has_text="Melts").locator("td").first
            ).to_contain_text("2,345.000 kg tapped")  # with Wheelworks' 95 kg
            page.screenshot(path=str(artifacts / "admin-desk.png"), full_page=True)
        finally:
            browser.close()

    [seq] = re.findall(r"Recorded entry #(\d+)", message)
    entry = Entry.objects.get(seq=int(seq))
    # The submit with mistakes wrote nothing: Wheelworks' melt and this one.
    assert Entry.objects.filter(type="melt.recorded").count() == 2
    assert entry.data["furnace"] == "HN-1-RF1"
    assert entry.data["inputs"] == [
        {"lot": "SCR-TENSE-1", "mass_kg": "1000.000"},
        {"lot": "SCR-WHEELS-9", "mass_kg": "800.000"},
        {"lot": "SCR-TENSE-2", "mass_kg": "500.000"},
    ]
    assert (entry.data["dross_kg"], entry.data["energy"]["electricity_kwh"]) == ("60.123", "180.000")
    melt = Lot.objects.get(made_by_id=entry.seq)
    assert (melt.owner, melt.mass_g) == (alurec, 2_250_000)
    assert Lot.objects.get(code="SCR-TENSE-2").remaining_g == 0
