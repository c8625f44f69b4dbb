"""remelt as a PACT recipient: a supplier's host kept with encrypted credentials, footprints
imported by id or uploaded, checked, kept as received with their digest and anchored by a
ledger entry; a supplier's PublishedEvent imports what it announces."""

import hashlib
import io
import json
import uuid
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ledger.errors import DomainError
from ledger.models import Entry
from pact.credentials import credential_open
from pact.models import ImportedFootprint, PendingImport, SupplierHost
from pact.services import footprint_fetch, footprint_import, imports_fetch, supplier_host_create
from tests.pact.conftest import TEST_CREDENTIALS_KEY, TESTDATA

SMELTER_PF = (TESTDATA / "pact" / "examples" / "example-3.json").read_bytes()
SMELTER_ID = json.loads(SMELTER_PF)["id"]


@pytest.fixture
def smelter(alurec, peer, pact_clients):
    """alurec's supplier host (the test peer), serving one footprint; it sends its events with
    outsider's remelt client (standing in for the smelter's)."""
    peer.footprints[SMELTER_ID] = b'{"data": ' + SMELTER_PF + b"}"
    return supplier_host_create(
        organisation=alurec,
        name="Smelter X",
        base_url=peer.base_url,
        client_id=peer.client_id,
        client_secret=peer.client_secret,
        inbound_client=pact_clients["outsider"].client,
    )


def test_an_upload_is_kept_as_received_and_anchored(alurec):
    imported = footprint_import(organisation=alurec, raw=SMELTER_PF, actor="user:alice")
    assert bytes(imported.raw) == SMELTER_PF
    assert imported.sha256 == hashlib.sha256(SMELTER_PF).hexdigest()
    assert str(imported.pf_id) == SMELTER_ID and imported.per_kg_co2e == "3.240000000000"
    entry = imported.entry
    assert entry.type == "pact.footprint.imported" and entry.organisation == alurec
    assert entry.data == {
        "pf_id": SMELTER_ID,
        "sha256": imported.sha256,
        "per_kg_co2e": "3.240000000000",
        "status": "Active",
        "company": "Company 3",
        "source": "upload",
    }
    again = footprint_import(organisation=alurec, raw=SMELTER_PF, actor="user:alice")
    assert again.pk == imported.pk and Entry.objects.filter(type="pact.footprint.imported").count() == 1


def test_a_document_that_is_not_a_pact_footprint_is_refused_and_nothing_written(alurec):
    broken = json.loads(SMELTER_PF)
    broken["pcf"]["pcfExcludingBiogenicUptake"] = 77.0
    del broken["companyName"]
    with pytest.raises(DomainError) as refused:
        footprint_import(organisation=alurec, raw=json.dumps(broken).encode(), actor="user:alice")
    assert {"pcf.pcfExcludingBiogenicUptake", "companyName"} <= set(refused.value.errors)
    with pytest.raises(DomainError, match="not JSON"):
        footprint_import(organisation=alurec, raw=b"{nope", actor="user:alice")
    assert not ImportedFootprint.objects.exists() and not Entry.objects.exists()


def test_the_supplier_secret_is_kept_encrypted(smelter, peer):
    assert peer.client_secret not in smelter.client_secret
    assert credential_open(smelter.client_secret) == peer.client_secret


def test_import_by_id_from_the_supplier_host(smelter, peer):
    imported = footprint_fetch(host=smelter, pf_id=SMELTER_ID, actor="user:alice")
    assert bytes(imported.raw) == peer.footprints[SMELTER_ID] and imported.host == smelter
    assert imported.entry.data["source"] == peer.base_url
    token_call, get_call = [r for r in peer.received if r.path != "/.well-known/openid-configuration"]
    assert token_call.path == "/auth/token" and get_call.headers["Authorization"] == f"Bearer {peer.token}"


def test_a_supplier_host_that_sends_another_footprint_is_refused(smelter, peer):
    other = str(uuid.uuid4())
    peer.footprints[other] = peer.footprints[SMELTER_ID]  # the wrong document under that id
    with pytest.raises(DomainError, match="asked for footprint"):
        footprint_fetch(host=smelter, pf_id=other, actor="user:alice")


def test_a_published_event_from_the_supplier_imports_what_it_names(
    smelter, peer, pact_for, django_capture_on_commit_callbacks
):
    event = {
        "type": "org.wbcsd.pact.ProductFootprint.PublishedEvent.3",
        "specversion": "1.0",
        "id": "smelter-evt-1",
        "source": peer.base_url,
        "time": "2026-11-19T11:30:00Z",
        "data": {"pfIds": [SMELTER_ID]},
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert pact_for("outsider").event(event).status_code == 200
    imported = ImportedFootprint.objects.get()
    assert imported.organisation == smelter.organisation and str(imported.pf_id) == SMELTER_ID
    assert PendingImport.objects.get().imported == imported


def test_an_unreachable_supplier_is_retried_with_back_off_then_given_up(smelter, peer, monkeypatch):
    missing = str(uuid.uuid4())  # the host answers 404 for it
    PendingImport.objects.create(host=smelter, pf_id=missing)
    clock = [timezone.now()]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    assert imports_fetch() == 0
    pending = PendingImport.objects.get()
    assert pending.attempts == 1 and "404" in pending.last_error and pending.abandoned_at is None
    assert imports_fetch() == 0 and PendingImport.objects.get().attempts == 1  # not due yet
    while pending.abandoned_at is None:
        clock[0] = pending.next_attempt_at + timedelta(seconds=1)
        imports_fetch()
        pending.refresh_from_db()
    assert pending.abandoned_at - pending.created_at <= timedelta(hours=72)


def test_a_bad_document_is_given_up_at_once(smelter, peer):
    bad = str(uuid.uuid4())
    peer.footprints[bad] = b'{"data": {"id": "' + bad.encode() + b'"}}'
    PendingImport.objects.create(host=smelter, pf_id=bad)
    assert imports_fetch() == 0
    pending = PendingImport.objects.get()
    assert pending.abandoned_at is not None and "ProductFootprint" in pending.last_error


def test_the_commands_add_a_supplier_and_import(alurec, peer, tmp_path, settings):
    settings.PACT_CREDENTIALS_KEY = TEST_CREDENTIALS_KEY
    secret = tmp_path / "secret"
    secret.write_text(peer.client_secret)
    peer.footprints[SMELTER_ID] = SMELTER_PF
    call_command(
        "add_pact_supplier",
        "alurec",
        "Smelter X",
        peer.base_url,
        "--client-id",
        peer.client_id,
        "--client-secret-file",
        str(secret),
        stdout=io.StringIO(),
    )
    assert SupplierHost.objects.get().name == "Smelter X"
    out = io.StringIO()
    call_command("import_pact_footprint", "alurec", "--host", "Smelter X", "--id", SMELTER_ID, stdout=out)
    assert SMELTER_ID in out.getvalue() and "anchored in ledger entry" in out.getvalue()
    upload = tmp_path / "pcf.json"
    upload.write_text(json.dumps({**json.loads(SMELTER_PF), "id": str(uuid.uuid4())}))
    call_command("import_pact_footprint", "alurec", "--file", str(upload), stdout=io.StringIO())
    assert ImportedFootprint.objects.count() == 2
    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    with pytest.raises(CommandError, match="is required"):
        call_command("import_pact_footprint", "alurec", "--file", str(broken), stdout=io.StringIO())
