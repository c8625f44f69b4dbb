"""CBAM evidence bundles, checked offline: the entries of a report, their proofs, the checkpoint,
the CBAM factor set, and the report recomputed from them.

A bundle (`GET /api/v1/cbam/reports/{id}/evidence/`) is one JSON object:

- `format`: "remelt-cbam-evidence-1";
- `report`: the report document (`remelt-cbam-1`), `report_digest` the SHA-256 of its RFC 8785
  bytes, and `anchor_seq` the `cbam.report.computed` entry that commits to it;
- `factor_set`: the CBAM factor set's document, whose SHA-256 the report names;
- `entries`: the entries the report used, then its anchor, each `{hash, header, payload}` (with
  `disclosures` where the payload commits to its items one by one);
- `checkpoint`, `verifier_key`, `proofs`, `links`: as in a passport's evidence bundle
  (`remelt_verify.bundle`): every entry and every link to an entry not in the bundle is proved
  to be in the signed tree.

`cbam_bundle_verify` checks all of that, that the anchor commits to this report and to the list
of entries (their digest), and recomputes the report from the entries and the factor set with
`remelt_verify.cbam`, the code the report task runs.
"""

from collections.abc import Sequence
from datetime import datetime

from remelt_verify import cbam
from remelt_verify.bundle import BundleProblem, _checkpoint, _differences, _entries, _proofs, cosigned_phrase
from remelt_verify.chain import canonical, sha256_hex

CBAM_BUNDLE_FORMAT = "remelt-cbam-evidence-1"


def _time(text: str, where: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise BundleProblem(f"{where}: {text!r} is not a time") from None


def cbam_bundle_verify(
    bundle: dict, *, key: str | None = None, witnesses: Sequence[str] = (), quorum: int | None = None
) -> str:
    """Check a CBAM bundle; return a summary, or raise BundleProblem naming the first problem."""
    required = (
        "report",
        "report_digest",
        "anchor_seq",
        "factor_set",
        "entries",
        "checkpoint",
        "verifier_key",
    )
    missing = [name for name in (*required, "proofs", "links") if name not in bundle]
    if missing:
        raise BundleProblem(f"the bundle lacks {', '.join(missing)}")
    entries = _entries(bundle)
    quorum = len(witnesses) if quorum is None else quorum
    checkpoint, cosigned = _checkpoint(bundle, key, witnesses, quorum)
    _proofs(bundle, entries, checkpoint.size, checkpoint.root)

    report = bundle["report"]
    digest = sha256_hex(canonical(report))
    if digest != bundle["report_digest"]:
        raise BundleProblem(f"report_digest: the report hashes to {digest}, the bundle says otherwise")
    anchor_seq = bundle["anchor_seq"]
    anchor = entries.get(anchor_seq)
    if anchor is None or anchor["header"]["type"] != cbam.REPORT_COMPUTED or anchor["payload"] is None:
        raise BundleProblem(f"anchor_seq: entry {anchor_seq} is not a readable {cbam.REPORT_COMPUTED} entry")
    committed = anchor["payload"]
    if committed.get("report") != digest:
        raise BundleProblem(
            f"entry {anchor_seq} commits to report {committed.get('report')}, not to {digest}"
        )
    site = report["installation"]
    for name, stated in (
        ("installation", site["code"]),
        ("period", report["period"]),
        ("entries", report["entries"]),
    ):
        if committed.get(name) != stated:
            raise BundleProblem(
                f"entry {anchor_seq}: its {name} is {committed.get(name)!r}, the report says {stated!r}"
            )

    factor_set = bundle["factor_set"]
    if sha256_hex(canonical(factor_set)) != report["factor_set"]["digest"]:
        raise BundleProblem("factor_set: it is not the factor set the report names (its digest differs)")
    try:
        factors = cbam.CbamFactors.from_document(factor_set)
    except (KeyError, TypeError, ArithmeticError) as exc:
        raise BundleProblem(f"factor_set: not a CBAM factor set ({exc})") from None

    used = {seq: record for seq, record in entries.items() if seq != anchor_seq}
    withheld = sorted(seq for seq, record in used.items() if record["payload"] is None)
    if withheld:
        raise BundleProblem(
            f"the payloads of entries {withheld} are withheld: the report cannot be recomputed"
        )
    listed = cbam.entries_digest((seq, record["hash"]) for seq, record in used.items())
    seqs = sorted(used)
    stated = report["entries"]
    if (listed, len(seqs), seqs[0] if seqs else None, seqs[-1] if seqs else None) != (
        stated["digest"],
        stated["count"],
        stated["first"],
        stated["last"],
    ):
        raise BundleProblem("entries: the bundle's entries are not the list the report was computed from")
    try:
        read = [
            cbam.LedgerEntry(
                seq,
                record["header"]["type"],
                record["header"]["org"],
                _time(record["header"]["occurred_at"], f"entry {seq}"),
                record["data"],
            )
            for seq, record in sorted(used.items())
        ]
        sites, processes = cbam.record_of(read)
        t0 = _time(report["period"]["start"], "report.period.start")
        t1 = _time(report["period"]["end"], "report.period.end")
        result = cbam.compute(installation=site["code"], t0=t0, t1=t1, processes=processes, factors=factors)
        recomputed = cbam.report_document(
            site=sites[site["code"]],
            operator=site["operator"],
            t0=t0,
            t1=t1,
            result=result,
            processes=processes,
            factors=factors,
            factor_set_digest=report["factor_set"]["digest"],
            entries=stated,
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise BundleProblem(f"the entries cannot be read as the report's record: {exc!r}") from None
    differences = _differences(report, recomputed, "report")
    if differences:
        raise BundleProblem(
            f"the report is not what its entries and factor set {factors.version} give: "
            + "; ".join(differences)
        )
    period = f"{report['period']['start']}–{report['period']['end']}"
    goods = ", ".join(
        f"{good['cn_code']} SEE_direct {good['see_direct_t_co2e_per_t']}" for good in report["goods"]
    )
    signer = "with your key" if key else "with the key in the bundle (pass --key to pin the operator's)"
    return (
        f"CBAM report {site['code']} {period} v{committed.get('version')}: "
        f"{len(entries)} entries hashed, linked and included in checkpoint size {checkpoint.size} "
        f"(signature checked {signer}{cosigned_phrase(cosigned, quorum)}); "
        f"recomputed with {factors.version} and equal ({goods or 'no goods'}); anchored in entry {anchor_seq}"
    )
