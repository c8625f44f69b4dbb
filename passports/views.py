"""The home page, and the passport page of a wheel hub or an ingot lot with its evidence bundle download.

Anyone with the page's URL (the QR code on the part) sees the lot's identity, its footprint
against the primary-aluminium baseline and its recycled content. Signed-in users whose
organisation may see the lot (its holders, the upstream of parts they hold, auditors) also see
the holder, the material flow back to the scrap and the ledger entries behind the figures,
re-verified on every view. Nothing upstream reaches the public page: no supplier, no lot code.
"""

import json
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import qrcode
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from qrcode.image.svg import SvgPathImage

from cbam.models import CbamReport
from cbam.selectors import lot_cbam, visible_reports
from ledger.errors import DomainError
from ledger.models import Lot, LotKind, ScrapCategory
from ledger.selectors import holdings
from ledger.trace import MAX_DEPTH, UP, Trace, TraceLot, TraceTooLarge, lot_trace
from ledger.visibility import Viewer, lot_visible, viewer_of_user
from passports.evidence import evidence_bundle, evidence_entry_seqs, public_bundle
from passports.models import STAGES
from passports.selectors import example_passport, passport, passport_proof

STAGE_LABELS = {
    "scrap_transport": gettext_lazy("Scrap transport"),
    "alloying": gettext_lazy("Alloying additions"),
    "melting": gettext_lazy("Melting energy"),
    "casting": gettext_lazy("Casting"),
    "part_production": gettext_lazy("Part production"),
    "transport": gettext_lazy("Transport to holder"),
}
# The names of the factor sets' materials as people say them; any other key shows as it is.
MATERIAL_LABELS = {
    "primary_aluminium": gettext_lazy("primary aluminium"),
    "silicon": gettext_lazy("silicon"),
    "magnesium": gettext_lazy("magnesium"),
}
# One colour per stage, the same in the chart and (as .stage-<key> in remelt.css) the tables.
STAGE_COLOURS = {
    "scrap_transport": "#8fb8c9",
    "alloying": "#e0a43a",
    "melting": "#d46a4c",
    "casting": "#7c6fb0",
    "part_production": "#1f6f8b",
    "transport": "#6e8b3d",
}
PRIMARY_COLOUR = "#9aa3a9"
# Material-flow node colours by what the lot is (as .flow-<key> in remelt.css).
FLOW_COLOURS = {
    ScrapCategory.POST_CONSUMER.value: "#2e7d32",
    ScrapCategory.PRE_CONSUMER.value: "#7cb342",
    ScrapCategory.INTERNAL.value: "#9aa3a9",
    LotKind.MELT.value: "#d46a4c",
    LotKind.INGOT.value: "#7c6fb0",
    LotKind.PART.value: "#1f6f8b",
    "addition": "#e0a43a",
}
HUNDRED = Decimal(100)


def viewer_of(user) -> Viewer | None:
    """The reach of a signed-in user, as the API gives it to their organisation; None if anonymous."""
    return viewer_of_user(user) if user.is_authenticated else None


def _passport_lot(code: str) -> Lot:
    """A wheel hub or ingot lot that has (or will have) a passport; anything else is a 404.

    A voided lot was withdrawn from the record and lost its footprint: it has no passport.
    """
    lot = (
        Lot.objects.filter(code=code, kind__in=(LotKind.PART, LotKind.INGOT), voided=False)
        .select_related("owner")
        .first()
    )
    if lot is None:
        raise Http404("no passport with this code")
    return lot


def _may_trace(viewer: Viewer | None, lot: Lot) -> bool:
    return viewer is not None and lot_visible(viewer, lot)


def home(request):
    """The front door: what remelt is, where to go (an example passport, the auditor view, the
    API docs, the admin, the health check) and, for a signed-in user, what their organisation
    holds now."""
    organisation = request.user.organisation if request.user.is_authenticated else None
    context = {
        "example": example_passport(),
        "organisation": organisation,
        "holdings": holdings(organisation_id=organisation.pk) if organisation is not None else [],
    }
    return render(request, "passports/home.html", context)


def passport_page(request, code: str):
    """The printable passport: identity, footprint, recycled content, QR code; and for those who
    may see the lot, its holder, material flow and ledger proof."""
    lot = _passport_lot(code)
    viewer = viewer_of(request.user)
    # The page re-hashes the entries of the evidence bundle (below), not the passport's list.
    summary = passport(lot, entries=False)
    document = summary["footprint"]
    url = request.build_absolute_uri(reverse("passport-page", args=[lot.code]))
    context = {
        "lot": lot,
        "is_part": lot.kind == LotKind.PART,
        "status": summary["status"],
        "footprint": _footprint(document) if document else None,
        "qr_svg": _qr_svg(url),
        "page_url": url,
        "issuer": settings.LEDGER_ORIGIN,  # the name that signs the ledger's checkpoints
        "full": _may_trace(viewer, lot),
        # ?lang=both: every label in Chinese and English, one sheet for the plant and the importer.
        "bilingual": request.GET.get("lang") == "both",
    }
    if context["footprint"]:
        context["stage_chart"] = _stage_chart(lot, context["footprint"])
    # CBAM's embedded emissions are another figure than the footprint: shown apart, never mixed.
    context["cbam"] = cbam = lot_cbam(lot)
    if cbam is not None and cbam.report is not None and request.user.is_authenticated:
        context["cbam_report_shown"] = visible_reports(
            viewer, CbamReport.objects.filter(pk=cbam.report.pk)
        ).exists()
    proof = _public_proof(lot)
    if proof is not None:
        context["public_proof"] = proof
    if context["full"]:
        try:
            context["flow"] = _flow(lot_trace(lot=lot, direction=UP, depth=MAX_DEPTH, viewer=viewer))
        except TraceTooLarge as refusal:
            context["flow_refused"] = refusal.message
        # The ledger proof re-hashes exactly the entries of the evidence bundle.
        context["proof"] = passport_proof(document, summary, evidence_entry_seqs(lot))
        context["versions"] = summary["versions"]
    return render(request, "passports/passport.html", context)


def passport_evidence(request, code: str):
    """The offline evidence bundle of a passport, as a JSON download, for those who may see the lot."""
    lot = _passport_lot(code)
    viewer = viewer_of(request.user)
    if not _may_trace(viewer, lot):
        raise Http404("no passport with this code")
    try:
        bundle = evidence_bundle(lot=lot, viewer=viewer)
    except DomainError as error:  # e.g. no footprint yet: its roll-up is pending
        return HttpResponse(error.message, status=error.status, content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        json.dumps(bundle, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False) + "\n",
        content_type="application/json",
    )
    response["Content-Disposition"] = content_disposition_header(True, f"{lot.code}-evidence.json")
    return response


def passport_public_bundle(request, code: str):
    """The passport's public bundle (JSON): proves the footprint on the page is the one committed
    in the signed ledger; anyone may fetch it, no login (remelt_verify.public)."""
    lot = _passport_lot(code)
    try:
        bundle = public_bundle(lot=lot)
    except DomainError as error:  # no footprint yet, or one anchored before Merkle commitments
        return JsonResponse({"code": error.code, "detail": error.message}, status=error.status)
    response = JsonResponse(bundle, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = content_disposition_header(False, f"{lot.code}-proof.json")
    return response


# ---------------------------------------------------------------------------------------------
# What the template shows

# Every member of a public bundle, as the page labels it: the page shows each one, so the
# public bundle reveals nothing the page does not (a member without a label is an error here).
PUBLIC_PROOF_LABELS = {
    "format": gettext_lazy("Proof format"),
    "lot.code": gettext_lazy("Lot"),
    "lot.kind": gettext_lazy("Kind"),
    "lot.mass_kg": gettext_lazy("Mass (kg)"),
    "footprint.lot": gettext_lazy("Footprint of lot"),
    "footprint.kind": gettext_lazy("Footprint kind"),
    "footprint.method": gettext_lazy("Method"),
    "footprint.factor_set": gettext_lazy("Emission factor set"),
    "footprint.mass_kg": gettext_lazy("Mass in the footprint (kg)"),
    "footprint.total_kg_co2e": gettext_lazy("Footprint (kg CO₂e)"),
    "footprint.per_kg_co2e": gettext_lazy("Footprint per kg (kg CO₂e)"),
    **{
        f"footprint.by_stage.{stage}": format_lazy(
            gettext_lazy("Stage: {stage} (kg CO₂e)"), stage=STAGE_LABELS[stage]
        )
        for stage in STAGES
    },
    "footprint.recycled_content.post_consumer": gettext_lazy("Post-consumer share"),
    "footprint.recycled_content.pre_consumer": gettext_lazy("Pre-consumer share"),
    "footprint.baseline_kg_co2e": gettext_lazy("Primary-aluminium baseline (kg CO₂e)"),
    "footprint.saving_kg_co2e": gettext_lazy("Saving (kg CO₂e)"),
    "footprint.version": gettext_lazy("Footprint version"),
    "footprint.ledger_seq": gettext_lazy("Computed at ledger seq"),
    "footprint_digest": gettext_lazy("Footprint digest (SHA-256 of its RFC 8785 bytes)"),
    "footprint_proof.leaf_index": gettext_lazy("Leaf of the footprint in its anchor's tree"),
    "footprint_proof.path": gettext_lazy("Its inclusion path (RFC 6962)"),
    "anchor.hash": gettext_lazy("Anchor entry hash"),
    "anchor.header.seq": gettext_lazy("Anchor entry seq"),
    "anchor.header.prev_hash": gettext_lazy("Anchor entry's previous hash"),
    "anchor.header.type": gettext_lazy("Anchor entry type"),
    "anchor.header.org": gettext_lazy("Posted by"),
    "anchor.header.actor": gettext_lazy("Actor"),
    "anchor.header.occurred_at": gettext_lazy("Occurred at"),
    "anchor.header.recorded_at": gettext_lazy("Recorded at"),
    "anchor.header.payload_sha256": gettext_lazy("Anchor payload digest"),
    "anchor.payload.anchor": gettext_lazy("Anchor format"),
    "anchor.payload.run": gettext_lazy("Roll-up run"),
    "anchor.payload.method": gettext_lazy("Roll-up method"),
    "anchor.payload.factor_set": gettext_lazy("Roll-up factor set"),
    "anchor.payload.ledger_seq": gettext_lazy("Roll-up at ledger seq"),
    "anchor.payload.footprints.count": gettext_lazy("Footprints committed by the run"),
    "anchor.payload.footprints.root": gettext_lazy("Root of their tree"),
    "anchor.payload.states.count": gettext_lazy("Carbon states committed by the run"),
    "anchor.payload.states.root": gettext_lazy("Root of their tree"),
    "anchor_proof": gettext_lazy("Inclusion path of the anchor entry in the checkpoint"),
    "checkpoint": gettext_lazy("Signed checkpoint, with its witnesses' cosignatures"),
    "verifier_key": gettext_lazy("The operator's verifier key"),
}


def public_proof_fields(bundle: dict, prefix: str = "") -> list[tuple[str, str]]:
    """(member path, the text the page shows) of every member of a public bundle, in order."""
    fields = []
    for name, value in bundle.items():
        path = f"{prefix}{name}"
        if isinstance(value, dict):
            fields += public_proof_fields(value, f"{path}.")
        elif isinstance(value, list):
            fields.append((path, " ".join(value)))
        else:
            fields.append((path, "null" if value is None else str(value)))
    return fields


def _public_proof(lot: Lot) -> dict | None:
    """What the page's public-proof section shows: every member of the public bundle, labelled."""
    try:
        bundle = public_bundle(lot=lot, sign=False)
    except DomainError:
        return None
    if bundle is None:
        return None
    rows = [
        {"path": path, "label": PUBLIC_PROOF_LABELS[path], "value": value}
        for path, value in public_proof_fields(bundle)
    ]
    return {
        "rows": rows,
        "anchor_seq": bundle["anchor"]["header"]["seq"],
        "verifier_key": bundle["verifier_key"],
        # The browser checks the cosignatures of the witnesses we configured (their public keys).
        "witnesses": [key for _url, key in settings.LEDGER_WITNESSES],
    }


def _footprint(document: dict) -> dict:
    """The footprint document's figures as Decimals, with the shares the page prints."""
    total = Decimal(document["total_kg_co2e"])
    mass_kg = Decimal(document["mass_kg"])
    baseline = Decimal(document["baseline_kg_co2e"])
    saving = Decimal(document["saving_kg_co2e"])
    post = Decimal(document["recycled_content"]["post_consumer"])
    pre = Decimal(document["recycled_content"]["pre_consumer"])
    stages = [
        {
            "key": stage,
            "label": STAGE_LABELS[stage],
            "colour": STAGE_COLOURS[stage],
            "kg": Decimal(document["by_stage"][stage]),
            "percent": Decimal(document["by_stage"][stage]) / total * HUNDRED if total else Decimal(0),
        }
        for stage in STAGES
    ]
    return {
        "document": document,
        "total": total,
        "per_kg": Decimal(document["per_kg_co2e"]),
        "baseline": baseline,
        "saving": saving,
        "saving_percent": saving / baseline * HUNDRED if baseline else Decimal(0),
        "stages": stages,
        "post_percent": post * HUNDRED,
        "pre_percent": pre * HUNDRED,
        "recycled_percent": (post + pre) * HUNDRED,
        "other_percent": (1 - post - pre) * HUNDRED,
        "post_kg": post * mass_kg,
        "pre_kg": pre * mass_kg,
        "other_kg": (1 - post - pre) * mass_kg,
    }


def _stage_chart(lot: Lot, footprint: dict) -> dict:
    """Stacked bars: this lot's stages beside the same lot made from primary aluminium.

    The baseline (CARBON.md rule 7) is primary metal plus the lot's own process energy and
    transport, so those two stages appear in both bars with the same values.
    """
    own = "part_production" if lot.kind == LotKind.PART else "casting"
    kept = {own, "transport"}
    this = _("This wheel hub") if lot.kind == LotKind.PART else _("This ingot lot")
    primary_metal = footprint["baseline"] - sum(
        (stage["kg"] for stage in footprint["stages"] if stage["key"] in kept), Decimal(0)
    )
    series = [{"name": _("Primary aluminium"), "colour": PRIMARY_COLOUR, "values": [0, float(primary_metal)]}]
    for stage in footprint["stages"]:
        baseline_value = float(stage["kg"]) if stage["key"] in kept else 0
        if stage["kg"] or baseline_value:
            series.append(
                {
                    "name": stage["label"],
                    "colour": stage["colour"],
                    "values": [float(stage["kg"]), baseline_value],
                }
            )
    return {
        "categories": [this, _("Made from primary aluminium")],
        "totals": [float(footprint["total"]), float(footprint["baseline"])],
        "series": series,
        "saving_percent": float(footprint["saving_percent"]),
        "unit": "kg CO₂e",
        "saving_text": _("%(percent)s %% less")
        % {"percent": footprint["saving_percent"].quantize(Decimal(1), ROUND_HALF_UP)},
    }


def _lot_description(lot: TraceLot) -> str:
    if lot.kind == LotKind.SCRAP:
        return " · ".join(filter(None, [lot.category_label, lot.grade]))
    if lot.kind == LotKind.INGOT:
        return lot.alloy
    if lot.kind == LotKind.PART:
        return lot.part_number
    return ""


def _flow_key(lot: TraceLot) -> str:
    """The colour key of a lot in the flow: scrap by category, the rest by kind."""
    return str(lot.category if lot.kind == LotKind.SCRAP else lot.kind)


def _kg(share: Fraction, root_kg: Decimal) -> Decimal:
    """The kilograms of the root's metal that a share stands for, to the gram."""
    return (Decimal(share.numerator) / Decimal(share.denominator) * root_kg).quantize(Decimal("0.001"))


def _flow(trace: Trace) -> dict:
    """The Sankey diagram and the trace table: where this lot's metal came from, in kg.

    A link's value is the share of the root's metal that flowed along it times the root's mass,
    so what enters a step equals what leaves it towards the root (losses carry no metal here).
    Alloying additions are sources of their own, one node per addition, a column before their
    melt; lots stand in columns by their distance from the root, the scrap on the left.
    """
    root_kg = Decimal(trace.root.mass_g) / 1000
    last_column = max(distance for _lot, distance in trace.nodes)
    nodes: list[dict] = []
    index: dict[str, int] = {}
    # Largest first within a column: plotly orders the bands entering a node by this order.
    ordered = sorted(trace.nodes, key=lambda node: (node[1], -trace.shares[node[0].code], node[0].code))
    for lot, distance in ordered:
        index[lot.code] = len(nodes)
        nodes.append(
            {
                "label": lot.code,
                "colour": FLOW_COLOURS[_flow_key(lot)],
                "hover": f"{lot.kind_label} · {_lot_description(lot)}".rstrip(" ·"),
                "column": last_column - distance,
                "value": float(_kg(trace.shares[lot.code], root_kg)),
            }
        )
    links = [
        {
            "source": index[edge.source],
            "target": index[edge.target],
            "value": float(_kg(edge.share, root_kg)),
            "colour": nodes[index[edge.source]]["colour"],
        }
        for edge in trace.edges
    ]
    additions = []
    for addition in trace.additions:
        kg = _kg(addition.share, root_kg)
        named = addition.material in MATERIAL_LABELS  # a name in each language, not a key
        material = MATERIAL_LABELS.get(addition.material) or addition.material.replace("_", " ")
        target = index[addition.target]
        links.append(
            {"source": len(nodes), "target": target, "value": float(kg), "colour": FLOW_COLOURS["addition"]}
        )
        nodes.append(
            {
                "label": f"+ {material}",
                "colour": FLOW_COLOURS["addition"],
                "hover": _("Alloying addition to %(lot)s") % {"lot": addition.target},
                "column": max(nodes[target]["column"] - 1, 0),
                "value": float(kg),
            }
        )
        additions.append(
            {"material": material, "named": named, "target": addition.target, "seq": addition.seq, "kg": kg}
        )
    lots = [
        {
            "lot": lot,
            "distance": distance,
            "description": _lot_description(lot),
            "colour_key": _flow_key(lot),
            "share_percent": _percent(trace.shares[lot.code]),
            "kg": _kg(trace.shares[lot.code], root_kg),
        }
        for lot, distance in ordered
        if distance > 0
    ]
    return {
        "chart": {"nodes": nodes, "links": links, "columns": last_column + 1, "unit": "kg"},
        "lots": lots,
        "additions": additions,
    }


def _percent(share: Fraction) -> Decimal:
    return Decimal(share.numerator) / Decimal(share.denominator) * HUNDRED


def _qr_svg(url: str) -> str:
    """The page's URL as an inline SVG QR code (our own markup, generated here, never fetched)."""
    image = qrcode.make(url, image_factory=SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode").replace(
        "<svg ", '<svg class="qr-code" role="img" aria-label="QR code of this passport\'s address" ', 1
    )
    return mark_safe(svg)  # noqa: S308 - markup generated here; the URL is only encoded as modules
