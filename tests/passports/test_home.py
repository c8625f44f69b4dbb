"""The home page (issue #19, item 1): what remelt is, the ways in, and for a signed-in user what
their organisation holds; the admin's "View site" lands here."""

import pytest

from accounts.services import user_create
from passports.services import rollup_run
from passports.templatetags.passport_page import css_string
from tests.passports.test_passport_page import record_wheel_history


@pytest.fixture
def history(cast):
    record_wheel_history(cast)
    rollup_run()


def test_the_home_page_says_what_remelt_is_and_links_every_way_in(history, client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "tamper-evident ledger of recycled aluminium" in html
    # The first wheel by serial whose passport has a footprint.
    for link in (
        'href="/passports/W-0001/"',
        'href="/audit/"',
        'href="/api/docs/"',
        'href="/admin/"',
        'href="/healthz"',
    ):
        assert link in html, link
    assert "Sign in</a> to see what your organisation holds" in html
    assert "What " not in html


def test_a_signed_in_user_sees_what_their_organisation_holds(history, client, cast):
    client.force_login(user_create(username="dana", organisation=cast["autofab"], password=None))
    html = client.get("/").content.decode()
    assert "What Autofab holds" in html
    # W-0001 … W-0020 went to autofab, 11.5 kg each.
    assert "<td>Wheel hub</td>" in html and '<td class="num">20</td>' in html
    assert '<td class="num">230.000</td>' in html
    assert 'href="/audit/lots/W-0020/"' in html  # the latest ones, linked
    assert "Ingot lot" not in html  # it holds none


def test_a_recycler_sees_its_stock_by_kind_with_kg_left(history, client, cast):
    client.force_login(user_create(username="erin", organisation=cast["alurec"], password=None))
    html = client.get("/").content.decode()
    # alurec kept ING-A356-2 (6 000 kg) and 2 000 kg of SCR-WHEELS-7, 500 kg of SCR-DIECAST-3.
    assert (
        '<td>Ingot lot</td>\n        <td class="num">1</td>\n        <td class="num">6,000.000</td>' in html
    )
    assert '<td>Scrap</td>\n        <td class="num">2</td>\n        <td class="num">2,500.000</td>' in html


def test_the_print_header_cannot_break_out_of_its_css_string():
    assert css_string('ZY-1"; } body { display: none') == "ZY-1\\22 ; \\7d  body \\7b  display: none"
    assert css_string("</style><script>") == "\\3c /style\\3e \\3c script\\3e "
