"""The passport page: what the public sees (identity, footprint, recycled content, QR code),
what holders and auditors see on top (holder, material flow, trace, ledger proof), and the
evidence download."""

import json
import re
from datetime import timedelta

import pytest
import qrcode
from django.utils import timezone
from qrcode.image.svg import SvgPathImage
from remelt_verify.cli import main as verify_main

from accounts.models import Organisation
from accounts.services import user_create
from ledger.models import Entry, Lot
from ledger.services import EventInput, events_record
from passports.evidence import evidence_entry_seqs
from passports.models import Footprint
from passports.services import rollup_run
from tests.support import TEST_SIGNING_KEY, append_only_suspended

WHEEL = "W-0001"
PAGE = f"/passports/{WHEEL}/"
TRUCK = {"distance_km": "180", "mode": "truck"}
WHEELS = [f"W-{n:04d}" for n in range(1, 41)]
# Everything upstream of the wheel that the public must never read on its page.
UPSTREAM_CODES = ["SCR-WHEELS-7", "SCR-DIECAST-3", "HEAT-ALU-1", "ING-A356-1", "HEAT-WW-1"]
SUPPLIERS = ["Foshan Diecast Co.", "Qingyuan ELV yard", "scrapco"]
HOLDERS = ["Autofab", "Wheelworks", "Alurec"]


def record_wheel_history(cast) -> None:
    """A small closed loop, posted through the services as partners would.

    alurec receives post-consumer wheel scrap (from scrapco) and pre-consumer die-cast scrap
    (from a supplier not on remelt), melts them with silicon and magnesium into HEAT-ALU-1,
    casts two A356.2 ingot lots and sends ING-A356-1 to wheelworks; wheelworks remelts 3 t of
    it with magnesium (HEAT-WW-1), makes 40 wheel hubs of 11.5 kg and 140 kg of home scrap, and
    sends W-0001 … W-0020 to autofab. outsider receives its own scrap and deals with nobody.
    """
    start = timezone.now() - timedelta(days=5)
    hours = iter(range(1, 100))

    def post(slug, entry_type, data):
        when = start + timedelta(hours=next(hours))
        events_record(
            organisation=cast[slug], actor="user:loader", events=[EventInput(entry_type, when, data)]
        )

    post(
        "alurec",
        "scrap.received",
        {
            "code": "SCR-WHEELS-7",
            "supplier": "scrapco",
            "grade": "ISRI Troma (aluminium wheels)",
            "category": "post_consumer",
            "origin": "Qingyuan ELV yard",
            "mass_kg": "10000",
            "transport": TRUCK,
        },
    )
    post(
        "alurec",
        "scrap.received",
        {
            "code": "SCR-DIECAST-3",
            "supplier_name": "Foshan Diecast Co.",
            "grade": "A380 die-cast runners",
            "category": "pre_consumer",
            "mass_kg": "5000",
            "transport": {"distance_km": "60", "mode": "truck"},
        },
    )
    post(
        "alurec",
        "melt.recorded",
        {
            "code": "HEAT-ALU-1",
            "furnace": "RF-1 reverberatory 60 t",
            "inputs": [
                {"lot": "SCR-WHEELS-7", "mass_kg": "8000"},
                {"lot": "SCR-DIECAST-3", "mass_kg": "4500"},
            ],
            "additions": [
                {"material": "silicon", "mass_kg": "90"},
                {"material": "magnesium", "mass_kg": "15"},
            ],
            "energy": {"natural_gas_m3": "1000", "electricity_kwh": "1300"},
            "output_mass_kg": "12200",
            "dross_kg": "300",
        },
    )
    post(
        "alurec",
        "ingots.cast",
        {
            "inputs": [{"lot": "HEAT-ALU-1", "mass_kg": "12200"}],
            "outputs": [
                {
                    "code": "ING-A356-1",
                    "mass_kg": "6000",
                    "alloy": "A356.2",
                    "chemistry": {"Si": "7.05", "Mg": "0.35", "Fe": "0.09"},
                },
                {"code": "ING-A356-2", "mass_kg": "6000", "alloy": "A356.2"},
            ],
            "energy": {"electricity_kwh": "300"},
        },
    )
    post(
        "alurec",
        "custody.transferred",
        {"lots": ["ING-A356-1"], "to": "wheelworks", "transport": {"distance_km": "240", "mode": "truck"}},
    )
    post(
        "wheelworks",
        "melt.recorded",
        {
            "code": "HEAT-WW-1",
            "furnace": "TC-65 twin-chamber",
            "inputs": [{"lot": "ING-A356-1", "mass_kg": "3000"}],
            "additions": [{"material": "magnesium", "mass_kg": "3"}],
            "energy": {"natural_gas_m3": "250", "electricity_kwh": "400"},
            "output_mass_kg": "2950",
        },
    )
    post(
        "wheelworks",
        "parts.produced",
        {
            "inputs": [{"lot": "HEAT-WW-1", "mass_kg": "600"}],
            "parts": [{"serial": serial, "mass_kg": "11.5", "part_number": "AF-18-5"} for serial in WHEELS],
            "internal_scrap": {"code": "INT-WW-1", "mass_kg": "140", "grade": "gates and chips"},
            "energy": {"electricity_kwh": "900"},
        },
    )
    post(
        "wheelworks",
        "custody.transferred",
        {"lots": WHEELS[:20], "to": "autofab", "transport": {"distance_km": "350", "mode": "truck"}},
    )
    post(
        "outsider",
        "scrap.received",
        {
            "code": "OUT-1",
            "supplier_name": "Somewhere Else",
            "grade": "wheels",
            "category": "post_consumer",
            "mass_kg": "1000",
            "transport": TRUCK,
        },
    )


@pytest.fixture
def history(cast):
    record_wheel_history(cast)
    rollup_run()


@pytest.fixture
def browser(client):
    """`browser("autofab")`: the test client signed in as a user of that organisation."""

    def sign_in(slug: str):
        user = user_create(
            username=f"{slug}-user", organisation=Organisation.objects.get(slug=slug), password=None
        )
        client.force_login(user)
        return client

    return sign_in


def embedded(html: str, element_id: str):
    """The data a page embeds with json_script."""
    opening = f'<script id="{element_id}" type="application/json">'
    return json.loads(html.split(opening)[1].split("</script>")[0])


def wheel_footprint() -> dict:
    return Footprint.objects.get(lot__code=WHEEL, superseded_at__isnull=True).document


def test_the_public_sees_identity_footprint_and_recycled_content(history, client):
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    document = wheel_footprint()
    assert "Material passport" in html and WHEEL in html and "AF-18-5" in html and "11.500 kg" in html
    # The numbers table carries the published figures exactly; the headline rounds them.
    for value in (document["total_kg_co2e"], document["baseline_kg_co2e"], document["saving_kg_co2e"]):
        assert value in html
    for value in document["by_stage"].values():
        assert value in html
    assert 'id="stage-chart-data"' in html and 'id="stage-chart"' in html
    assert "Recycled content" in html and "Post-consumer scrap" in html
    assert document["method"] in html and document["factor_set"] in html


def test_the_public_sees_nothing_upstream(history, client):
    html = client.get(PAGE).content.decode()
    for secret in UPSTREAM_CODES + SUPPLIERS + HOLDERS + ["INT-WW-1", "OUT-1"]:
        assert secret not in html, secret
    for entry_hash in Entry.objects.values_list("hash", flat=True):
        assert entry_hash not in html
    assert 'id="flow-data"' not in html and "Ledger proof" not in html and "evidence.json" not in html
    assert "Sign in</a> to see them" in html


@pytest.mark.parametrize("slug", ["autofab", "certa", "wheelworks"])
def test_holders_and_auditors_see_the_flow_the_trace_and_the_proof(history, browser, slug):
    html = browser(slug).get(PAGE).content.decode()
    assert "Autofab" in html  # the holder
    for code in UPSTREAM_CODES:
        assert code in html, code
    assert "Foshan Diecast Co." in html and "Qingyuan ELV yard" in html
    assert 'id="flow-data"' in html and 'id="flow-chart"' in html and "Material flow" in html
    flow = embedded(html, "flow-data")
    labels = [node["label"] for node in flow["nodes"]]
    assert {WHEEL, "HEAT-WW-1", "ING-A356-1", "HEAT-ALU-1", "SCR-WHEELS-7", "SCR-DIECAST-3"} <= set(labels)
    assert labels.count("+ silicon") == 1 and labels.count("+ magnesium") == 2  # one per melt
    # Links carry the wheel's metal: what reaches the wheel is its mass.
    into_wheel = sum(link["value"] for link in flow["links"] if link["target"] == labels.index(WHEEL))
    assert into_wheel == pytest.approx(11.5)
    assert "Ledger proof" in html and "Verified." in html and "FAILED" not in html
    anchor = Entry.objects.get(type="footprint.computed")
    # The ledger proof re-hashes the entries of the evidence bundle (format 2): the wheel's own
    # part run, the melt that is its input, its custody transfer and the anchor.
    wheel = Lot.objects.get(code=WHEEL)
    heat = Lot.objects.get(code="HEAT-WW-1")
    shown = evidence_entry_seqs(wheel)
    assert {wheel.made_by_id, heat.made_by_id, anchor.seq} <= set(shown)
    for entry in Entry.objects.filter(seq__in=shown):
        assert entry.hash in html, entry.seq
    assert anchor.hash in html and wheel_footprint() and Footprint.objects.get(lot__code=WHEEL).digest in html
    assert f"/passports/{WHEEL}/evidence.json" in html


def test_an_outsider_signed_in_sees_only_the_public_view(history, browser):
    html = browser("outsider").get(PAGE).content.decode()
    assert wheel_footprint()["total_kg_co2e"] in html
    for secret in UPSTREAM_CODES + SUPPLIERS + ["Autofab"]:
        assert secret not in html, secret
    assert 'id="flow-data"' not in html and "Ledger proof" not in html


def test_the_recycler_sees_its_ingot_lot_but_only_the_public_view_of_the_wheel(history, browser):
    alurec = browser("alurec")
    assert "HEAT-ALU-1" not in alurec.get(PAGE).content.decode()  # alurec never held the wheel
    ingot = alurec.get("/passports/ING-A356-1/").content.decode()
    assert "A356.2" in ingot and "Si 7.05" in ingot and "HEAT-ALU-1" in ingot and "Verified." in ingot


def test_an_ingot_lot_has_a_public_passport(history, client):
    html = client.get("/passports/ING-A356-1/").content.decode()
    assert "Ingot lot" in html and "A356.2" in html and "6,000.000 kg" in html
    assert "HEAT-ALU-1" not in html and "SCR-WHEELS-7" not in html


@pytest.mark.parametrize("code", ["NO-SUCH-LOT", "SCR-WHEELS-7", "HEAT-ALU-1", "INT-WW-1"])
def test_unknown_codes_and_other_kinds_are_404(history, client, code):
    assert client.get(f"/passports/{code}/").status_code == 404


def test_the_qr_code_is_an_inline_svg_of_the_page_address(history, client):
    html = client.get(PAGE).content.decode()
    expected = qrcode.make(f"http://testserver{PAGE}", image_factory=SvgPathImage, border=2)
    path = expected.to_string(encoding="unicode").split("<path ")[1]
    assert '<svg class="qr-code"' in html and path in html


def test_a_wheel_not_rolled_up_yet_says_so(cast, client):
    record_wheel_history(cast)  # in a test transaction: the roll-up queued on commit never runs
    response = client.get(PAGE)
    assert response.status_code == 200
    assert "is being computed" in response.content.decode()


def test_a_changed_entry_fails_verification(history, browser):
    melt = Entry.objects.get(type="melt.recorded", organisation__slug="wheelworks")
    forged = bytes(melt.header).replace(b'"type"', b'"type" ', 1)
    with append_only_suspended():
        Entry.objects.filter(seq=melt.seq).update(header=forged)
    html = browser("certa").get(PAGE).content.decode()
    assert "Verification failed." in html and "FAILED" in html
    assert f"Entry #{melt.seq}: header does not hash to the stored hash" in html


def test_the_proof_costs_a_fixed_number_of_queries(history, browser, django_assert_max_num_queries):
    auditor = browser("certa")
    auditor.get(PAGE)  # the session and the user are cached from here on
    # 26 at most, whatever the ledger's size: the ledger proof finds the bundle's entries (its step,
    # transfers, corrections, anchor) and re-hashes them in one query; the public proof
    # (footprint, its anchor, a checkpoint holding it, the tree's nodes, the leaf proof) a few more.
    with django_assert_max_num_queries(26):
        assert auditor.get(PAGE).status_code == 200


def test_the_evidence_bundle_is_for_holders_and_auditors_only(history, client, browser, settings, tmp_path):
    settings.LEDGER_SIGNING_KEY = TEST_SIGNING_KEY
    url = f"/passports/{WHEEL}/evidence.json"
    assert client.get(url).status_code == 404
    assert browser("outsider").get(url).status_code == 404
    response = browser("certa").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="{WHEEL}-evidence.json"'
    bundle = json.loads(response.content)
    assert bundle["lot"]["code"] == WHEEL and bundle["footprint"] == wheel_footprint()
    # What the page hands out is what the offline verifier checks.
    downloaded = tmp_path / f"{WHEEL}-evidence.json"
    downloaded.write_bytes(response.content)
    assert verify_main([str(downloaded)]) == 0


def test_the_ledger_proof_lists_exactly_the_bundles_entries_each_rehashed(history, browser, settings):
    """The page's "Ledger proof" re-hashes the entries the evidence bundle carries: the wheel's
    own step (its part run and the entries that made its inputs), the custody transfers (those
    behind "Transport to holder" too), the amendments and the anchors."""
    settings.LEDGER_SIGNING_KEY = TEST_SIGNING_KEY
    auditor = browser("certa")
    bundle = json.loads(auditor.get(f"/passports/{WHEEL}/evidence.json").content)
    bundled = [entry["header"]["seq"] for entry in bundle["entries"]]
    page = auditor.get(PAGE).content.decode()
    table = page[page.index('<table class="numbers entries">') :]
    table = table[: table.index("</table>")]
    row = (
        r'<tr><td class="num">(\d+)</td><td><code>([a-z.]+)</code></td>'
        r'<td class="hash">([0-9a-f]{64})</td><td><span class="status-ok">OK</span>'
    )
    rows = re.findall(row, table)
    assert [int(seq) for seq, _type, _hash in rows] == bundled
    assert {entry_type for _seq, entry_type, _hash in rows} >= {"custody.transferred", "footprint.computed"}
    assert [h for _s, _t, h in rows] == [entry["hash"] for entry in bundle["entries"]]


def test_the_bilingual_print_names_the_alloying_additions_in_both_languages(history, browser):
    holder = browser("autofab")
    html = holder.get(f"{PAGE}?lang=both", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span lang="zh-hans">工业硅</span> <span lang="en-gb">Silicon</span>' in html
    assert '<span lang="zh-hans">镁</span> <span lang="en-gb">Magnesium</span>' in html
    assert '<span lang="en-gb">into <code>HEAT-ALU-1</code> (entry #' in html
    english = holder.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Silicon" in english and "工业硅" not in english
