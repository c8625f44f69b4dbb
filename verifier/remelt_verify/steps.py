"""Evidence that stays small: one proven step at a time (SPEC §10).

A roll-up anchor of format 2 commits, in its `states` tree, to the carbon state of every making
entry it computed (`state_leaf`): intensity by stage, recycled shares, and a part run's internal
scrap. A step recomputes one making entry's state from its inputs' committed states, so its size
does not depend on how deep the history upstream is (home scrap remelted daily puts the whole
month upstream of every wheel).

A step bundle (format "remelt-step-1", `GET /api/v1/evidence/steps/{code}/?at={seq}`) is:

- `lot`: `{code, kind, mass_kg}` of a lot the step's entry made;
- `step`: `{entry, state, inputs}`: the making entry's seq; `state`, its committed state as
  `{anchor_seq, leaf_index, path, value}` (`value` the leaf without `entry`; `path` its RFC 6962
  inclusion path in the `states` tree of the anchor entry `anchor_seq`); `inputs`, for each lot the
  entry consumed, `{entry, state}`: the entry that made that lot and its committed state, as it
  stood when the step's state was computed (an anchor no later than the step's);
- `factor_set`, `entries`, `checkpoint`, `verifier_key`, `proofs`, `links` and (where the entry's
  additions cite one) `supplier_footprints`, as in an evidence bundle of format 1. `entries` holds
  the making entry and its amendments, the entries that made the inputs (they bind each input's
  code to its maker and kind), the custody transfers of the inputs before the step (and their
  voids), the anchors of the states, and the cited footprint imports.

An evidence bundle of format "remelt-evidence-2" is a step bundle of the lot a footprint is for,
plus `footprint`, `footprint_digest`, `anchor_seq` and `footprint_proof` as in format 1, and, among
the entries, the lot's own custody transfers (and their voids) up to the footprint's ledger seq.
Its footprint is recomputed from the step's state and those transfers.

The checks need nothing but the bundle: each input's state is taken as committed; an auditor who
wants more fetches the step of that input (`at` = the step's anchor's ledger seq) and checks it the
same way, down to the scrap receipts, whose steps have no inputs.
"""

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from remelt_verify import carbon
from remelt_verify.bundle import (
    EVIDENCE_FORMAT_2,
    FOOTPRINT_COMPUTED,
    MAKING_TYPES,
    BundleProblem,
    _checkpoint,
    _cited,
    _committed,
    _differences,
    _entries,
    _factors,
    _hex_path,
    _proofs,
    _Replay,
    cosigned_phrase,
)
from remelt_verify.chain import canonical, sha256_hex
from remelt_verify.merkle import leaf_hash, verify_inclusion

STEP_FORMAT = "remelt-step-1"
EVIDENCE_FORMAT = EVIDENCE_FORMAT_2
SHARED = frozenset(
    {"format", "lot", "step", "factor_set", "entries", "checkpoint", "verifier_key", "proofs", "links"}
)
FOOTPRINT_MEMBERS = frozenset({"footprint", "footprint_digest", "anchor_seq", "footprint_proof"})
OPTIONAL = frozenset({"supplier_footprints"})


def state_member(state: carbon.State) -> dict:
    """A state's values as stored and committed: decimal strings by stage, and the shares."""
    member = {
        "intensity": {stage: str(state.main.intensity[stage]) for stage in carbon.STAGES},
        "post_consumer": str(state.main.post),
        "pre_consumer": str(state.main.pre),
    }
    if state.internal_scrap is not None:
        member["internal_scrap"] = {
            stage: str(state.internal_scrap.intensity[stage]) for stage in carbon.STAGES
        }
    if state.main.supplier:  # only where an addition upstream cites a supplier footprint (remelt-2)
        member["supplier"] = str(state.main.supplier)
    return member


def state_leaf(entry_seq: int, member: dict) -> bytes:
    """The leaf data of a carbon state: RFC 8785 of `{"entry": seq, ...state_member}`."""
    return canonical({"entry": entry_seq, **member})


def state_value(member: object, where: str) -> carbon.State:
    """The carbon.State a committed member stands for; BundleProblem if it is not one."""
    try:
        post, pre = Decimal(member["post_consumer"]), Decimal(member["pre_consumer"])
        supplier = Decimal(member.get("supplier", "0"))
        main = {stage: Decimal(member["intensity"][stage]) for stage in carbon.STAGES}
        scrap = member.get("internal_scrap")
        scrap = None if scrap is None else {stage: Decimal(scrap[stage]) for stage in carbon.STAGES}
    except (KeyError, TypeError, AttributeError, InvalidOperation):
        raise BundleProblem(f"{where}.value: not a carbon state (intensity by stage, shares)") from None
    return carbon.State(
        carbon.Carbon(main, post, pre, supplier),
        None if scrap is None else carbon.Carbon(scrap, post, pre, supplier),
    )


def _anchor_payload(entries: dict[int, dict], seq: object, where: str) -> dict:
    """The payload of the system's footprint.computed entry `seq` of format 2 in the bundle."""
    record = entries.get(seq) if isinstance(seq, int) and not isinstance(seq, bool) else None
    header = record["header"] if record is not None else {}
    if header.get("type") != FOOTPRINT_COMPUTED or header.get("org") is not None:
        raise BundleProblem(
            f"{where}.anchor_seq: entry {seq!r} is not a footprint.computed entry of the system in the bundle"
        )
    payload = record["payload"]
    if not isinstance(payload, dict) or payload.get("anchor") != 2 or "states" not in payload:
        raise BundleProblem(f"{where}: entry {seq} is not an anchor of format 2 with a states tree")
    return payload


def _state_committed(
    entries: dict[int, dict], proof: object, entry_seq: int, where: str
) -> tuple[carbon.State, dict]:
    """Check that `proof` commits to the state of making entry `entry_seq`; (state, anchor payload)."""
    if not isinstance(proof, dict) or proof.keys() != {"anchor_seq", "leaf_index", "path", "value"}:
        raise BundleProblem(f"{where}: must be {{anchor_seq, leaf_index, path, value}}")
    payload = _anchor_payload(entries, proof["anchor_seq"], where)
    index = proof["leaf_index"]
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise BundleProblem(f"{where}.leaf_index is not a leaf index")
    try:
        count, root = payload["states"]["count"], bytes.fromhex(payload["states"]["root"])
        leaf = state_leaf(entry_seq, proof["value"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleProblem(f"{where}: cannot read the state or its anchor's tree: {exc}") from None
    path = _hex_path(proof["path"], f"{where}.path")
    if not verify_inclusion(leaf_hash(leaf), index, count, path, root):
        raise BundleProblem(
            f"{where}: the state of entry {entry_seq} is not leaf {index} of the {count} states committed by "
            f"entry {proof['anchor_seq']}: it was changed"
        )
    return state_value(proof["value"], where), payload


def _transport_per_kg(factors: carbon.Factors, transport: object, seq: int) -> Decimal:
    try:
        return factors.transport_per_kg(transport)
    except (KeyError, TypeError, InvalidOperation) as exc:
        raise BundleProblem(f"entry {seq}: transport {transport!r} cannot be costed: {exc}") from None


def _check_members(bundle: object, expected_format: str, required: frozenset) -> dict:
    if not isinstance(bundle, dict) or bundle.get("format") != expected_format:
        raise BundleProblem(f"not a bundle of format {expected_format!r}")
    missing = sorted(required - bundle.keys())
    extra = sorted(bundle.keys() - required - OPTIONAL)
    if missing or extra:
        said = [f"lacks {', '.join(missing)}"] if missing else []
        said += [f"has unknown {', '.join(extra)}"] if extra else []
        raise BundleProblem("the bundle " + "; ".join(said))
    return bundle


class Step:
    """One making entry's state recomputed from its inputs' committed states and found equal."""

    def __init__(self, bundle: dict, entries: dict[int, dict], factors: carbon.Factors) -> None:
        step = bundle["step"]
        if not isinstance(step, dict) or step.keys() != {"entry", "state", "inputs"}:
            raise BundleProblem("step: must be {entry, state, inputs}")
        seq = step["entry"]
        self.code = bundle["lot"].get("code") if isinstance(bundle["lot"], dict) else None
        self.seq = seq
        self.state, anchor = _state_committed(entries, step["state"], seq, "step.state")
        self.anchor_seq = step["state"]["anchor_seq"]
        self.leaf_index = step["state"]["leaf_index"]
        self.at = anchor["ledger_seq"]
        self.method = anchor["method"]
        if anchor["factor_set"] != factors.version:
            raise BundleProblem(
                f"factor_set: the state's anchor names {anchor['factor_set']!r}, "
                f"the bundle holds {factors.version!r}"
            )
        record = entries.get(seq)
        if record is None or record["header"]["type"] not in MAKING_TYPES:
            raise BundleProblem(f"step.entry: entry {seq!r} is not a making entry in the bundle")
        if seq > self.at:
            raise BundleProblem(
                f"step.entry: entry {seq} is after the ledger seq {self.at} its state was computed at"
            )
        withheld = [s for s, r in entries.items() if r["payload"] is None and s <= self.at]
        if withheld:
            raise BundleProblem(
                f"the payloads of entries {withheld} are withheld: the step cannot be recomputed"
            )
        replay = _Replay()
        for entry_seq, record in sorted(entries.items()):
            if entry_seq <= self.at and record["header"]["type"] != FOOTPRINT_COMPUTED:
                replay.apply(entry_seq, record["header"]["type"], record["data"])
        if seq in replay.voided:
            raise BundleProblem(f"step.entry: entry {seq} is voided")
        if replay.made_by.get(self.code) != seq:
            raise BundleProblem(f"lot: entry {seq} does not make lot {self.code!r}")
        self.mass_g, self.kind = replay.lot(self.code)
        process = replay.processes[seq]
        inputs = step["inputs"]
        codes = {code for code, _grams in process["inputs"]}
        if not isinstance(inputs, dict) or inputs.keys() != codes:
            given = sorted(inputs) if isinstance(inputs, dict) else inputs
            raise BundleProblem(
                f"step.inputs: entry {seq} consumes {sorted(codes)}, the step gives {given!r}"
            )
        known: dict[str, carbon.Carbon] = {}
        self.inputs: list[tuple[str, int, int, int]] = []  # (code, maker seq, anchor seq, ledger seq)
        for code in sorted(codes):
            where = f"step.inputs[{code}]"
            given = inputs[code]
            if not isinstance(given, dict) or given.keys() != {"entry", "state"}:
                raise BundleProblem(f"{where}: must be {{entry, state}}")
            maker = given["entry"]
            if replay.made_by.get(code) != maker or maker >= seq:
                raise BundleProblem(
                    f"{where}: entry {maker!r} in the bundle does not make lot {code} before entry {seq}"
                )
            value, input_anchor = _state_committed(entries, given["state"], maker, f"{where}.state")
            if input_anchor["ledger_seq"] > self.at or input_anchor["factor_set"] != factors.version:
                raise BundleProblem(
                    f"{where}.state: committed at ledger seq {input_anchor['ledger_seq']} with "
                    f"{input_anchor['factor_set']}, not one the step's state (seq {self.at}, "
                    f"{factors.version}) was computed from"
                )
            _grams, kind = replay.lot(code)
            known[code] = value.of(kind)
            self.inputs.append((code, maker, given["state"]["anchor_seq"], input_anchor["ledger_seq"]))
        own = _Replay()  # cited footprints of this entry only: its inputs' are in their states
        own.processes, own.imports, own.voided = {seq: process}, replay.imports, replay.voided
        cited = _cited(own, bundle.get("supplier_footprints") or {}, self.method)
        transfers = carbon.TransferLog()
        for transfer_seq, (lots, transport) in sorted(replay.transfers.items()):
            if transfer_seq in replay.voided:
                continue
            per_kg = _transport_per_kg(factors, transport, transfer_seq)
            for code in lots:
                if code in codes:
                    transfers.add(code, transfer_seq, per_kg)
        facts = carbon.ProcessFacts(seq=seq, **process, cited=cited)
        try:
            recomputed = carbon.compute_states([facts], known, transfers, factors)[seq]
        except (KeyError, InvalidOperation) as exc:
            raise BundleProblem(f"entry {seq}: cannot recompute its state: {exc}") from None
        differences = _differences(step["state"]["value"], state_member(recomputed), "step.state.value")
        if differences or state_member(recomputed).keys() != step["state"]["value"].keys():
            raise BundleProblem(
                f"the state committed for entry {seq} is not what its inputs' committed states "
                "and its facts give: " + "; ".join(differences or ["its members differ"])
            )

    def walk_up(self) -> str:
        if not self.inputs:
            return "it has no inputs (the start of the material's way)"
        return "walk up: " + ", ".join(
            f"{code} (entry {maker}, state in entry {anchor}; step at={self.at})"
            for code, maker, anchor, _ in self.inputs
        )


def _verified(bundle: dict, key, witnesses, quorum):
    entries = _entries(bundle)
    quorum = len(witnesses) if quorum is None else quorum
    checkpoint, cosigned = _checkpoint(bundle, key, witnesses, quorum)
    _proofs(bundle, entries, checkpoint.size, checkpoint.root)
    factors = _factors(bundle)
    signer = "with your key" if key else "with the key in the bundle (pass --key to pin the operator's)"
    checked = (
        f"{len(entries)} entries hashed, linked and included in checkpoint size {checkpoint.size} "
        f"(signature checked {signer}{cosigned_phrase(cosigned, quorum)})"
    )
    return entries, factors, checked


def step_verify(
    bundle: object, *, key: str | None = None, witnesses: Sequence[str] = (), quorum: int | None = None
) -> str:
    """Check a step bundle; a summary naming the inputs to walk up to, or BundleProblem."""
    bundle = _check_members(bundle, STEP_FORMAT, SHARED)
    entries, factors, checked = _verified(bundle, key, witnesses, quorum)
    step = Step(bundle, entries, factors)
    return (
        f"{step.code}: {checked}; the state of entry {step.seq} "
        f"(leaf {step.leaf_index} of entry {step.anchor_seq}) "
        f"recomputed from its {len(step.inputs)} inputs' committed states with {factors.version} and equal; "
        f"{step.walk_up()}"
    )


def evidence_verify(
    bundle: object, *, key: str | None = None, witnesses: Sequence[str] = (), quorum: int | None = None
) -> str:
    """Check an evidence bundle of format 2: the step of the lot, then its footprint from the step's
    state and the lot's own custody transfers, then the footprint's anchoring."""
    bundle = _check_members(bundle, EVIDENCE_FORMAT, SHARED | FOOTPRINT_MEMBERS)
    entries, factors, checked = _verified(bundle, key, witnesses, quorum)
    footprint = bundle["footprint"]
    code = bundle["lot"].get("code") if isinstance(bundle["lot"], dict) else None
    if not isinstance(footprint, dict) or footprint.get("lot") != code:
        raise BundleProblem(f"footprint: it is not the footprint of lot {code!r}")
    if footprint.get("factor_set") != factors.version:
        raise BundleProblem(
            f"factor_set: the footprint names {footprint.get('factor_set')!r}, "
            f"the bundle holds {factors.version!r}"
        )
    step = Step(bundle, entries, factors)
    ledger_seq = footprint.get("ledger_seq")
    if not isinstance(ledger_seq, int) or ledger_seq < step.at:
        raise BundleProblem(f"footprint.ledger_seq: {ledger_seq!r} is before its state's seq {step.at}")
    if footprint.get("method") != step.method:
        raise BundleProblem(
            f"footprint.method: {footprint.get('method')!r}, the state was computed with {step.method!r}"
        )
    moved = _Replay()
    for seq, record in sorted(entries.items()):
        kind = record["header"]["type"]
        if seq <= ledger_seq and kind in ("custody.transferred", "entry.voided"):
            if record["payload"] is None:
                raise BundleProblem(
                    f"the payload of entry {seq} is withheld: the footprint cannot be recomputed"
                )
            moved.apply(seq, kind, record["data"])
    transfers = carbon.TransferLog()
    for seq, (lots, transport) in sorted(moved.transfers.items()):
        if seq not in moved.voided and code in lots:
            transfers.add(code, seq, _transport_per_kg(factors, transport, seq))
    base = step.state.of(step.kind)
    recomputed = carbon.footprint_document(
        code=code,
        kind=step.kind,
        mass_g=step.mass_g,
        intensity=carbon.intensity_at(base, code, transfers, None),
        base=base,
        factors=factors,
        method=step.method,
    )
    differences = _differences(footprint, recomputed, "footprint")
    if differences:
        raise BundleProblem(
            f"the footprint is not what its step's state, its transfers and factor set "
            f"{factors.version} give: " + "; ".join(differences)
        )
    digest = sha256_hex(canonical(footprint))
    if digest != bundle["footprint_digest"]:
        raise BundleProblem(f"footprint_digest: the footprint hashes to {digest}, the bundle says otherwise")
    anchor = _anchor_payload(entries, bundle["anchor_seq"], "footprint")
    _committed(bundle, anchor, code, footprint.get("version"), digest)
    if anchor.get("ledger_seq") != ledger_seq:
        raise BundleProblem(
            f"entry {bundle['anchor_seq']}: computed at ledger seq {anchor.get('ledger_seq')}, "
            f"the footprint says {ledger_seq}"
        )
    return (
        f"{code}: {checked}; the state of entry {step.seq} recomputed from its {len(step.inputs)} inputs' "
        f"committed states and equal; footprint v{footprint.get('version')} "
        f"{footprint['total_kg_co2e']} kg CO2e recomputed with {factors.version} and equal; "
        f"anchored in entry {bundle['anchor_seq']}; {step.walk_up()}"
    )
