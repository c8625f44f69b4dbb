"""Recording a melt through the admin in Chinese, as the plant's staff do (issue #20): a browser
that asks for Chinese gets the record form in Chinese, a submit with three mistakes shows all
three in Chinese next to their fields, and the corrected submit records the melt. The form with
its errors is screenshot into tests/artifacts/ (to be looked at: CJK renders, nothing overflows).
"""

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from accounts.services import user_create
from ledger.models import Entry, Lot
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.test_admin_melt_browser import PASSWORD, TIMEOUT_MS, _error_of, _pick_lot, _receive
from tests.cbam.conftest import register

ENGLISH_WORD = re.compile(r"\b[A-Za-z]{3,}\b")


@pytest.mark.django_db(transaction=True)
def test_staff_record_a_melt_in_the_chinese_admin(live_server, cast, chromium_executable, artifacts):
    ops = user_create(username="ops", organisation=cast["remelt-ops"], password=PASSWORD, is_staff=True)
    ops.is_superuser = True
    ops.save(update_fields=["is_superuser"])
    alurec = cast["alurec"]
    _receive(alurec, "SCR-TENSE-1", "1000", "ISRI Tense")
    _receive(alurec, "SCR-TENSE-2", "500", "ISRI Tense")
    register(alurec)  # HN-1, furnaces HN-1-RF1 "reverberatory 60 t" and HN-1-RF2

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{live_server.url}/admin/login/?next=/admin/ledger/lot/")
            page.fill("#id_username", "ops")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.get_by_role("link", name="记录熔炼批次（炉次）").click()
            expect(page.locator("h1")).to_have_text("记录熔炼批次（炉次）")
            expect(page.locator("label[for=id_furnace]")).to_contain_text("熔炉")
            expect(page.get_by_role("button", name="增加投料批次")).to_be_visible()

            page.select_option("#id_organisation", label="Alurec")
            page.locator("#id_furnace + .select2 .select2-selection").click()
            page.locator(".select2-results__option", has_text="HN-1-RF1").click()
            _pick_lot(page, 0, "SCR-TENSE-1", "SCR-TENSE-1 — Alurec，剩余 1,000.000 kg")
            page.fill("#id_inputs-0-mass_kg", "1000")
            _pick_lot(page, 1, "SCR-TENSE-2", "SCR-TENSE-2 — Alurec，剩余 500.000 kg")
            page.fill("#id_inputs-1-mass_kg", "600")  # mistake 1: it has 500 kg left
            page.fill("#id_output_mass_kg", "1450")
            page.fill("#id_dross_kg", "40.1234")  # mistake 2: four decimals
            page.fill("#id_electricity_kwh", "-120")  # mistake 3: negative
            page.fill("#id_natural_gas_m3", "130")
            page.get_by_role("button", name="记录").click()

            expect(page.locator(".errornote")).to_have_text("请更正以下错误。未记录任何内容。")
            errors = {
                name: _error_of(page, name) for name in ("inputs-1-mass_kg", "dross_kg", "electricity_kwh")
            }
            assert "批次 “SCR-TENSE-2” 仅剩 500.000 kg，要求 600.000 kg" in errors["inputs-1-mass_kg"]
            assert "小数超过 3 位" in errors["dross_kg"]
            assert "不能为负数" in errors["electricity_kwh"]
            for message in errors.values():  # no English in them beyond codes and units
                assert not [w for w in ENGLISH_WORD.findall(message) if w not in ("SCR", "TENSE")], message
            page.screenshot(path=str(artifacts / "admin-melt-form-zh-hans.png"), full_page=True)
            # Nothing overflows the page: the form is no wider than the window.
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 1440, width

            page.fill("#id_inputs-1-mass_kg", "500")
            page.fill("#id_dross_kg", "40.123")
            page.fill("#id_electricity_kwh", "120")
            page.get_by_role("button", name="记录").click()

            success = page.locator(".messagelist .success")
            expect(success).to_contain_text("（melt.recorded）")
            message = success.inner_text()
            page.screenshot(path=str(artifacts / "admin-melt-recorded-zh-hans.png"), full_page=True)
        finally:
            browser.close()

    [seq] = re.findall(r"#(\d+)", message)
    entry = Entry.objects.get(seq=int(seq))
    assert Entry.objects.filter(type="melt.recorded").count() == 1  # the submit with mistakes wrote nothing
    assert entry.data["inputs"] == [
        {"lot": "SCR-TENSE-1", "mass_kg": "1000.000"},
        {"lot": "SCR-TENSE-2", "mass_kg": "500.000"},
    ]
    assert (entry.data["dross_kg"], entry.data["energy"]["electricity_kwh"]) == ("40.123", "120.000")
    assert Lot.objects.get(made_by_id=entry.seq).mass_g == 1_450_000
