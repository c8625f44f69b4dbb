"""Bundle sizes: a wheel's public, holder and auditor bundles when its roll-up run anchors 10,000
and 100,000 footprints, beside the raw baselines (the footprint document alone, the list of the
run's footprints that an anchor of format 1 carried, the wheel's part-run entry alone, and the
bundle of every entry upstream, format 1), and a step further up (the run's first input).

Run against a throw-away PostgreSQL database; the script drops and recreates the database named
in DATABASE_URL (its name must contain "bench"), migrates it, and drops it again at the end:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/remelt_bench_bundles .venv/bin/python bench/bundles.py

The material record is bench/rollup.py's (scrap → melts → ingots → part runs of 100 wheels,
through the real services). After the first tenth a full roll-up anchors 10,000 footprints; after
the rest another anchors 100,000. `--quick` makes everything ten times smaller.
"""

import argparse
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.pop("CELERY_BROKER_URL", None)
# Bundles carry a signed checkpoint: a throw-away key for the throw-away database.
os.environ.setdefault(
    "LEDGER_SIGNING_KEY",
    "PRIVATE+KEY+remelt.example/ledger+79831d08+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f",
)
# … and a signer memory of its own: the one under var/ remembers another database's ledger.
SIGNER_STATE = tempfile.TemporaryDirectory(prefix="remelt-bench-signer-")
os.environ["LEDGER_SIGNER_STATE"] = os.path.join(SIGNER_STATE.name, "state.json")

import django  # noqa: E402
from benchdb import create_database, drop_database, log, machine_facts, server_facts, settings_db  # noqa: E402
from rollup import FULL, QUICK, Loop  # noqa: E402


def size(document: object) -> int:
    """Bytes of the JSON as the server sends it (compact, UTF-8)."""
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode())


def measure(wheel_code: str) -> dict:
    from remelt_verify.bundle import bundle_verify
    from remelt_verify.chain import canonical
    from remelt_verify.public import public_verify
    from remelt_verify.steps import step_verify

    from ledger.checkpoints import checkpoint_sign, verifier_key
    from ledger.models import Entry, Lot
    from ledger.visibility import Viewer
    from passports.evidence import evidence_bundle, public_bundle, step_bundle
    from passports.models import Footprint

    checkpoint_sign()
    wheel = Lot.objects.get(code=wheel_code)
    holder = Viewer(organisation_id=wheel.owner_id, sees_everything=False)
    auditor = Viewer(organisation_id=None, sees_everything=True)
    public = public_bundle(lot=wheel)
    holders = evidence_bundle(lot=wheel, viewer=holder)
    auditors = evidence_bundle(lot=wheel, viewer=auditor)
    upstream = evidence_bundle(lot=wheel, viewer=auditor, upstream=True)
    source = Lot.objects.filter(consumptions__process_id=wheel.made_by_id).order_by("code").first()
    at = Entry.objects.get(seq=auditors["step"]["state"]["anchor_seq"]).data["ledger_seq"]
    step = step_bundle(lot=source, viewer=auditor, at_seq=at)
    checks = [(public, public_verify), (holders, bundle_verify), (auditors, bundle_verify)]
    for bundle, check in [*checks, (upstream, bundle_verify), (step, step_verify)]:
        check(bundle, key=verifier_key())  # every measured bundle verifies
    run_entry = Entry.objects.get(seq=wheel.made_by_id)
    footprint = Footprint.objects.select_related("run").get(lot=wheel, superseded_at__isnull=True)
    listed = [
        [code, version, digest]
        for code, version, digest in Footprint.objects.filter(run=footprint.run).values_list(
            "lot__code", "version", "digest"
        )
    ]
    return {
        "footprints": public["anchor"]["payload"]["footprints"]["count"],
        "entries": Entry.objects.count(),
        "document": size(public["footprint"]),
        "anchor_payload": size(public["anchor"]["payload"]),
        "v1_list": len(canonical(listed)),
        "public": size(public),
        "holder": size(holders),
        "auditor": size(auditors),
        "run_entry": len(bytes(run_entry.header)) + len(bytes(run_entry.payload)),
        "upstream": size(upstream),
        "upstream_entries": len(upstream["entries"]),
        "bundle_entries": len(auditors["entries"]),
        "step": size(step),
        "leaf_path": len(public["footprint_proof"]["path"]),
        "anchor_path": len(public["anchor_proof"]),
    }


def run(quick: bool) -> None:
    from django.core.management import call_command

    import passports.queue
    from ledger.models import Lot
    from passports.services import rollup_run

    load_before = os.getloadavg()
    call_command("migrate", verbosity=0, interactive=False)
    facts = server_facts()
    passports.queue._start_rollup = lambda: None  # roll-ups run when the script says, not per batch
    plan = QUICK if quick else FULL
    loop = Loop(plan)
    log(f"generating the first stage ({plan.parts_per_chunk:,} parts)")
    loop.chunk()
    log("full roll-up of the first stage")
    rollup_run(full=True)
    first_wheel = Lot.objects.filter(kind="part").order_by("pk").first().code
    small = measure(first_wheel)
    for index in range(1, plan.chunks):
        loop.chunk()
        log(f"  chunk {index + 1}/{plan.chunks}: {loop.parts_made:,} parts")
    log("full roll-up of everything")
    rollup_run(full=True)
    last_wheel = Lot.objects.filter(kind="part").order_by("-pk").first().code
    large = measure(last_wheel)

    print(
        f"remelt bundle sizes ({'quick: 10x smaller' if quick else 'full'}) "
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}"
    )
    print(
        f"PostgreSQL {facts['server_version']}; Python {platform.python_version()}, {machine_facts()}; "
        f"load average {load_before[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end"
    )
    print()
    rows = [
        ("footprints anchored by the wheel's run", "footprints"),
        ("ledger entries", "entries"),
        ("footprint document alone (baseline), bytes", "document"),
        ("anchor payload (format 2), bytes", "anchor_payload"),
        ("the run's list an anchor of format 1 carried, bytes", "v1_list"),
        ("public bundle, bytes", "public"),
        ("the wheel's part-run entry alone (header + payload, baseline), bytes", "run_entry"),
        ("holder's evidence bundle (format 2), bytes", "holder"),
        ("auditor's evidence bundle (format 2), bytes", "auditor"),
        ("  its entries", "bundle_entries"),
        ("every entry upstream (format 1, baseline), bytes", "upstream"),
        ("  its entries", "upstream_entries"),
        ("a step up (the run's first input), bytes", "step"),
        ("leaf proof, hashes", "leaf_path"),
        ("anchor inclusion proof, hashes", "anchor_path"),
    ]
    label = max(len(row[0]) for row in rows)
    print(f"{'':<{label}}  {small['footprints']:>12,}  {large['footprints']:>12,}  {'large/small':>11}")
    for name, key in rows:
        ratio = large[key] / small[key] if small[key] else float("nan")
        print(f"{name:<{label}}  {small[key]:>12,}  {large[key]:>12,}  {ratio:>11.2f}")
    print()
    for which in ("public", "holder", "auditor"):
        print(
            f"{which} bundle / footprint document: {small[which] / small['document']:.1f}x at "
            f"{small['footprints']:,} footprints, "
            f"{large[which] / large['document']:.1f}x at {large['footprints']:,}"
        )
    for which, baseline in (("auditor", "run_entry"), ("auditor", "upstream")):
        print(
            f"{which} bundle / {baseline}: {small[which] / small[baseline]:.2f}x at "
            f"{small['footprints']:,} footprints, "
            f"{large[which] / large[baseline]:.2f}x at {large['footprints']:,}"
        )


def main(quick: bool) -> None:
    db = settings_db("bench/bundles.py")
    log(f"recreating database {db['NAME']} and migrating")
    create_database(db)
    try:
        run(quick)
    finally:
        log(f"dropping database {db['NAME']}")
        drop_database(db)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 10x smaller smoke run")
    arguments = parser.parse_args()
    django.setup()
    main(arguments.quick)
