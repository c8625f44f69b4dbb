"""Capturing EPCIS documents: read every event (epcis.capture), record them through the
ledger's services all or nothing, and keep a capture job that says what was written or why
nothing was."""

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import partial

import jsonschema
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from config.api.problems import problem
from epcis.capture import Captured, Problems, Reader, Refused
from epcis.documents import validator
from epcis.gs1 import canonical_digital_link
from epcis.mapping import content_hash, ext
from epcis.models import CaptureJob, IndexedEvent, LotIdentifier
from epcis.selectors import current_version, index_catch_up, lot_of_uri
from ledger.errors import DomainError, quoted
from ledger.events import (
    CUSTODY_TRANSFERRED,
    ENTRY_VOIDED,
    INGOTS_CAST,
    LOT_AMENDED,
    MELT_RECORDED,
    SCRAP_RECEIVED,
)
from ledger.models import TransferItem
from ledger.quantities import format_kg
from ledger.services import EventInput, events_record, role_error

MAX_EVENTS = 1000
MAX_SCHEMA_ERRORS = 20
_ITEM = re.compile(r"^\[(\d+)\]\.")


def document_check(document: object) -> None:
    """Refuse (400, naming each field) a document GS1's schema does not accept, or that is no
    EPCISDocument with events."""
    errors: dict[str, list[str]] = {}
    for error in sorted(validator().iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        if error.context:  # anyOf / oneOf: the branch that came closest says more
            error = jsonschema.exceptions.best_match(error.context)
        errors.setdefault(_path(error.absolute_path), []).append(error.message)
        if len(errors) >= MAX_SCHEMA_ERRORS:
            break
    if errors:
        where, messages = next(iter(errors.items()))
        raise DomainError(
            "schema",
            _("not an EPCIS 2.0 document: %(where)s: %(message)s") % {"where": where, "message": messages[0]},
            errors=errors,
        )
    if document.get("type") != "EPCISDocument":
        raise DomainError("invalid", _("capture takes an EPCISDocument"), field="type")
    events = document["epcisBody"]["eventList"]
    if not events:
        raise DomainError("invalid", _("the document has no events"), field="epcisBody.eventList")
    if len(events) > MAX_EVENTS:
        raise DomainError(
            "capture_limit",
            _("at most %(count)s events per document") % {"count": MAX_EVENTS},
            field="epcisBody.eventList",
            status=413,
        )


def _path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "document"


class _Declaration:
    """An event with an errorDeclaration: a void, or an amendment with its corrective event."""

    def __init__(self, index: int, event: Mapping, corrective: tuple[int, Mapping] | None) -> None:
        self.index = index
        self.event = event
        self.base = f"epcisBody.eventList[{index}]"
        declaration = event["errorDeclaration"]
        self.reason_code = declaration.get("reason")
        self.reason = declaration.get(ext("reason")) or f"EPCIS error declaration: {self.reason_code}"
        self.occurred_at = timezone.datetime.fromisoformat(declaration["declarationTime"])
        self.corrective = corrective
        self.named_lot = declaration.get(ext("lot"))


def capture_record(*, organisation: Organisation, actor: str, document: Mapping) -> CaptureJob:
    """Capture an EPCIS document for `organisation`: all its events are recorded or none.

    A document the schema refuses, or an event remelt cannot read, raises DomainError (nothing
    is written, no job); a rule the events break gives a job with `success` false and the
    problem, and nothing in the ledger."""
    document_check(document)
    events = document["epcisBody"]["eventList"]
    index_catch_up()
    plan = _plan(organisation, events)
    _roles_check(organisation, plan)
    job = CaptureJob(organisation=organisation, actor=actor, event_count=len(events), success=False)
    try:
        with transaction.atomic():
            job.entries = _Recorder(organisation, actor, plan).run()
    except DomainError as exc:
        body = problem(exc.status, exc.code, exc.message, errors=exc.errors)
        job.errors = [body]
    else:
        job.success = True
    job.finished_at = timezone.now()
    job.save()
    return job


def _plan(organisation: Organisation, events: list) -> list:
    """Every event read, in order (corrective events go with their declaration), or one problem
    naming every field remelt cannot read."""
    reader = Reader(organisation, known_lot=partial(lot_of_uri, holder=organisation))
    problems = Problems()
    by_id = {
        event["eventID"]: (i, event)
        for i, event in enumerate(events)
        if isinstance(event.get("eventID"), str)
    }
    corrective_ids = set()
    for event in events:
        declaration = event.get("errorDeclaration")
        if declaration and declaration.get("reason") == "incorrect_data":
            corrective_ids.update(declaration.get("correctiveEventIDs") or [])
    plan = []
    for index, event in enumerate(events):
        base = f"epcisBody.eventList[{index}]"
        try:
            declaration = event.get("errorDeclaration")
            if declaration is not None:
                plan.append(_declaration(index, event, by_id))
            elif event.get("eventID") in corrective_ids:
                continue  # read with the declaration that names it
            else:
                plan.append(reader.read(index, event))
        except Refused as refused:
            problems.add(refused.where, refused.message, refused.code)
        except (KeyError, ValueError) as exc:  # e.g. a time the schema let through but Python cannot read
            problems.add(base, f"cannot be read: {exc}")
    problems.raise_any()
    return plan


def _roles_check(organisation: Organisation, plan: list) -> None:
    """Refuse (403 `role_not_allowed`) a document with an event of a type none of the poster's
    roles may post (ledger.shapes), before anything is recorded and without a job, as
    /api/v1/events/ does; an error declaration is a void or, with its corrective event, an
    amendment."""
    for item in plan:
        if isinstance(item, _Declaration):
            entry_type = ENTRY_VOIDED if item.corrective is None else LOT_AMENDED
            where = item.base
        else:
            entry_type, where = item.type, item.where("")
        message = role_error(organisation, entry_type)
        if message:
            raise DomainError(
                "role_not_allowed",
                _("event %(index)s: %(message)s") % {"index": item.index, "message": message},
                field=where,
                status=403,
            )


def _declaration(index: int, event: Mapping, by_id: dict) -> _Declaration:
    base = f"epcisBody.eventList[{index}]"
    declaration = event["errorDeclaration"]
    if not isinstance(event.get("eventID"), str):
        raise Refused(f"{base}.eventID", _("an error declaration names the event it declares by its eventID"))
    reason = declaration.get("reason")
    if reason == "did_not_occur":
        return _Declaration(index, event, None)
    if reason == "incorrect_data":
        ids = declaration.get("correctiveEventIDs") or []
        if len(ids) != 1 or ids[0] not in by_id:
            raise Refused(
                f"{base}.errorDeclaration.correctiveEventIDs",
                _("give one corrective event, in the same document"),
            )
        return _Declaration(index, event, by_id[ids[0]])
    raise Refused(f"{base}.errorDeclaration.reason", _("remelt reads did_not_occur and incorrect_data"))


class _Recorder:
    """Records a planned document in order, inside the caller's transaction."""

    def __init__(self, organisation: Organisation, actor: str, plan: list) -> None:
        self.organisation, self.actor, self.plan = organisation, actor, plan
        self.targets: dict[str, int] = {}  # eventID in the document -> the entry it shows
        self.written: list[tuple[Captured, object]] = []

    def run(self) -> list[dict]:
        segment: list[Captured] = []
        for item in self.plan:
            if isinstance(item, _Declaration):
                self._flush(segment)
                segment = []
                self._flush(self._correction(item), declared=item)
            else:
                segment.append(item)
        self._flush(segment)
        self._identifiers()
        self._check_transfers()
        index_catch_up()
        ids: dict[int, list[str]] = {}
        for seq, event_id in (
            IndexedEvent.objects.filter(seq__in=[r.entry.seq for _c, r in self.written])
            .order_by("seq", "position")
            .values_list("seq", "event_id")
        ):
            ids.setdefault(seq, []).append(event_id)
        return [
            {
                "index": captured.index,
                "seq": recorded.entry.seq,
                "hash": recorded.entry.hash,
                "type": captured.type,
                "eventIDs": ids.get(recorded.entry.seq, []),
            }
            for captured, recorded in self.written
        ]

    def _flush(self, segment: list[Captured], declared: "_Declaration | None" = None) -> None:
        if not segment:
            return
        try:
            recorded = events_record(
                organisation=self.organisation,
                actor=self.actor,
                events=[EventInput(c.type, c.occurred_at, c.data) for c in segment],
            )
        except DomainError as exc:
            raise _translated(exc, segment) from None
        for captured, result in zip(segment, recorded, strict=True):
            self.written.append((captured, result))
            if captured.event_id and captured.type not in (LOT_AMENDED, ENTRY_VOIDED):
                self.targets[captured.event_id] = result.entry.seq

    def _target(self, item: _Declaration) -> int:
        """The entry a declaration is about. It repeats the declared event: found by its eventID,
        or by what it says (the same event recorded in another ledger has another anchor and ID)."""
        event_id = item.event["eventID"]
        if event_id in self.targets:
            return self.targets[event_id]
        declared = {key: value for key, value in item.event.items() if key != "errorDeclaration"}
        rows = IndexedEvent.objects.filter(Q(event_id=event_id) | Q(content_hash=content_hash(declared)))
        targets = set(rows.values_list("target_seq", flat=True))
        if len(targets) != 1:
            raise DomainError(
                "unknown_event",
                _("no event %(id)s in the ledger") % {"id": event_id},
                field=f"{item.base}.eventID",
            )
        return targets.pop()

    def _correction(self, item: _Declaration) -> list[Captured]:
        target = self._target(item)
        base = item.base
        if item.corrective is None:
            captured = Captured(
                index=item.index,
                type=ENTRY_VOIDED,
                occurred_at=item.occurred_at,
                data={"seq": target, "reason": item.reason},
            )
            captured.paths.update(
                {
                    "": base,
                    "data.seq": f"{base}.eventID",
                    "data.reason": f"{base}.errorDeclaration.{ext('reason')}",
                    "occurred_at": f"{base}.errorDeclaration.declarationTime",
                }
            )
            return [captured]
        index_catch_up()  # what this document recorded so far, for the current version
        version = current_version(target)
        if version is None:
            raise DomainError(
                "not_amendable",
                _("only receipts, melts, casts and part runs are amended; void a transfer instead"),
                field=f"{base}.eventID",
                status=409,
            )
        making_type, current = version
        corrective_index, corrective_event = item.corrective
        reader = Reader(self.organisation, known_lot=partial(lot_of_uri, holder=self.organisation))
        try:
            corrected = reader.read(corrective_index, corrective_event)
        except Refused as refused:
            raise DomainError(refused.code, refused.message, field=refused.where) from None
        amendments = _amendments(making_type, current, corrected, item, reader)
        self.targets[corrective_event.get("eventID")] = target
        return amendments

    def _identifiers(self) -> None:
        LotIdentifier.objects.bulk_create(
            LotIdentifier(code=code, uri=uri, digital_link=canonical_digital_link(uri) or uri)
            for captured, _recorded in self.written
            for code, uri in captured.new_identifiers.items()
        )

    def _check_transfers(self) -> None:
        for captured, recorded in self.written:
            if captured.type != CUSTODY_TRANSFERRED or not captured.quantities:
                continue
            moved = dict(
                TransferItem.objects.filter(transfer_id=recorded.entry.seq).values_list("lot__code", "mass_g")
            )
            for code, grams in captured.quantities.items():
                if moved[code] != grams:
                    raise DomainError(
                        "not_all_metal",
                        _(
                            "event %(index)s: a custody transfer moves all the metal a lot has left: lot "
                            "%(code)s had %(had)s kg, the event says %(says)s kg"
                        )
                        % {
                            "index": captured.index,
                            "code": quoted(code),
                            "had": format_kg(moved[code]),
                            "says": format_kg(grams),
                        },
                        field=captured.paths[f"quantity:{code}"],
                        status=409,
                    )


def _translated(exc: DomainError, segment: list[Captured]) -> DomainError:
    """The ledger's error with the EPCIS fields of the events it is about."""
    errors: dict[str, list[str]] = {}
    first = None
    for name, messages in exc.errors.items():
        match = _ITEM.match(name)
        position, rest = (int(match.group(1)), name[match.end() :]) if match else (0, name)
        captured = segment[min(position, len(segment) - 1)]
        first = first if first is not None else captured
        errors.setdefault(captured.where(rest), []).extend(messages)
    first = first or segment[0]
    message = _("event %(index)s: %(message)s") % {"index": first.index, "message": exc.bare}
    return DomainError(exc.code, message, errors=errors, status=exc.status)


# -- amendments from a corrective event --------------------------------------------------------


def _amounts(values: Mapping | None, places: int) -> dict:
    """Decimal strings compared by value ("12.5" is "12.500")."""
    out = {}
    for key, value in (values or {}).items():
        try:
            out[key] = f"{Decimal(str(value)):.{places}f}"
        except (InvalidOperation, ValueError):
            out[key] = value
    return out


def _structural(corrected: Captured, key: str) -> DomainError:
    return DomainError(
        "structural",
        _(
            "event %(index)s: an amendment corrects facts, not masses, lots or codes; void the "
            "entry and record it again instead"
        )
        % {"index": corrected.index},
        field=corrected.where(f"data.{key}"),
        status=409,
    )


def _amendments(
    making_type: str, current: dict, corrected: Captured, item: _Declaration, reader: Reader
) -> list[Captured]:
    """The lot.amended events that turn the recorded facts into those of the corrective event."""
    new = corrected.data
    if corrected.type != making_type:
        raise DomainError(
            "structural",
            _("event %(index)s: the corrective event must be the same kind of step (%(type)s)")
            % {"index": corrected.index, "type": making_type},
            field=corrected.where("type"),
            status=409,
        )
    named = (
        reader.existing_lot(item.named_lot, f"{item.base}.errorDeclaration.{ext('lot')}")
        if item.named_lot
        else None
    )
    changes: list[tuple[str, dict, dict]] = []  # (lot, facts, where each fact came from)

    def same(key: str, left=None, right=None) -> None:
        if (current.get(key) if left is None else left) != (new.get(key) if right is None else right):
            raise _structural(corrected, key)

    energy = {}
    if "energy" in new and _amounts(new["energy"], 3) != _amounts(current.get("energy"), 3):
        energy = {"energy": new["energy"]}
    if making_type == SCRAP_RECEIVED:
        for key in ("code", "supplier", "supplier_name", "mass_kg"):
            same(key)
        same("documents", current.get("documents", []), new.get("documents", []))
        facts = {k: new[k] for k in ("grade", "category", "origin") if k in new and new[k] != current.get(k)}
        old_transport, new_transport = current["transport"], new["transport"]
        moved = _amounts({"d": new_transport["distance_km"]}, 3) != _amounts(
            {"d": old_transport["distance_km"]}, 3
        )
        if moved or new_transport["mode"] != old_transport["mode"]:
            facts["transport"] = new_transport
        changes.append((current["code"], facts, {}))
    elif making_type == MELT_RECORDED:
        for key in ("code", "furnace", "inputs", "output_mass_kg"):
            same(key)
        same(
            "dross_kg",
            current.get("dross_kg"),
            f"{new['dross_kg']}" if "dross_kg" in new else current.get("dross_kg"),
        )
        old_additions, new_additions = current.get("additions", []), new.get("additions", [])
        if [a["mass_kg"] for a in old_additions] != [a["mass_kg"] for a in new_additions]:
            raise _structural(corrected, "additions")
        facts = dict(energy)
        if [a["material"] for a in old_additions] != [a["material"] for a in new_additions]:
            facts["additions"] = new_additions
        changes.append((current["code"], facts, {}))
        energy = {}
    elif making_type == INGOTS_CAST:
        same("inputs")
        same(
            "outputs",
            [(o["code"], o["mass_kg"]) for o in current["outputs"]],
            [(o["code"], o["mass_kg"]) for o in new["outputs"]],
        )
        for position, (old, fresh) in enumerate(zip(current["outputs"], new["outputs"], strict=True)):
            facts = {}
            if fresh["alloy"] != old["alloy"]:
                facts["alloy"] = fresh["alloy"]
            if _amounts(fresh["chemistry"], 4) != _amounts(old["chemistry"], 4):
                facts["chemistry"] = fresh["chemistry"]
            if facts:
                changes.append((old["code"], facts, {k: f"data.outputs[{position}].{k}" for k in facts}))
    else:
        same("inputs")
        same(
            "parts",
            [(p["serial"], p["mass_kg"]) for p in current["parts"]],
            [(p["serial"], p["mass_kg"]) for p in new["parts"]],
        )
        old_scrap, new_scrap = current.get("internal_scrap"), new.get("internal_scrap")
        same(
            "internal_scrap",
            old_scrap and (old_scrap["code"], old_scrap["mass_kg"]),
            new_scrap and (new_scrap["code"], new_scrap["mass_kg"]),
        )
        for position, (old, fresh) in enumerate(zip(current["parts"], new["parts"], strict=True)):
            if fresh["part_number"] != old["part_number"]:
                changes.append(
                    (
                        old["serial"],
                        {"part_number": fresh["part_number"]},
                        {"part_number": f"data.parts[{position}].part_number"},
                    )
                )
        if old_scrap and new_scrap and new_scrap.get("grade", old_scrap["grade"]) != old_scrap["grade"]:
            changes.append(
                (old_scrap["code"], {"grade": new_scrap["grade"]}, {"grade": "data.internal_scrap.grade"})
            )
    if energy:  # a run's energy goes with the lot the declaration names, or its first product
        first = current["outputs"][0]["code"] if making_type == INGOTS_CAST else current["parts"][0]["serial"]
        lot = named or (changes[0][0] if changes else first)
        for index, (code, facts, where) in enumerate(changes):
            if code == lot:
                changes[index] = (code, {**facts, **energy}, where)
                break
        else:
            changes.insert(0, (lot, dict(energy), {}))
    changes = [change for change in changes if change[1]]
    if not changes:
        raise DomainError(
            "invalid",
            _("event %(index)s: the corrective event corrects nothing of the recorded facts")
            % {"index": corrected.index},
            field=f"{item.base}.errorDeclaration.correctiveEventIDs",
        )
    amendments = []
    for code, facts, where in changes:
        captured = Captured(
            index=item.index,
            type=LOT_AMENDED,
            occurred_at=item.occurred_at,
            data={"lot": code, "reason": item.reason, **facts},
        )
        captured.paths.update(
            {
                "": item.base,
                "occurred_at": f"{item.base}.errorDeclaration.declarationTime",
                "data.reason": f"{item.base}.errorDeclaration.{ext('reason')}",
                "data.lot": f"{item.base}.errorDeclaration.{ext('lot')}"
                if item.named_lot
                else f"{item.base}.eventID",
            }
        )
        for fact in facts:
            captured.paths[f"data.{fact}"] = corrected.where(where.get(fact, f"data.{fact}"))
        amendments.append(captured)
    return amendments
