"""Public read-only endpoints for partners and auditors: signed checkpoints, the key, proofs.

They reveal only sizes and hashes, never a payload or who posted what, so they need no
login. Hashes in the JSON answers are lowercase hex, like the entries' `hash`; the root in a
checkpoint is base64 because the tlog-checkpoint format says so.
"""

import re

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger.checkpoints import checkpoint_latest, verifier_key
from ledger.cosignatures import checkpoint_note
from ledger.errors import DomainError
from ledger.models import SignedCheckpoint
from ledger.tree import tree_root_and_inclusion_proof, tree_roots_and_consistency_proof, tree_size

_NUMBER = re.compile(r"[0-9]{1,18}")  # below 2**63, so it fits the database's bigint
_HEX_HASH = r"^[0-9a-f]{64}$"


def _text(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


def _text_schema(description: str) -> dict:
    return {(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description=description)}


_NUMBER_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}  # what `numbers` reads


def _number(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, _NUMBER_SCHEMA, required=True, description=description)


def _hash_field(help_text: str) -> serializers.RegexField:
    return serializers.RegexField(_HEX_HASH, help_text=help_text)


def _proof_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.RegexField(_HEX_HASH), help_text="The proof's hashes, bottom up (RFC 9162)."
    )


class InclusionProofSerializer(serializers.Serializer):
    """The answer of the inclusion-proof endpoint."""

    seq = serializers.IntegerField(min_value=1)
    size = serializers.IntegerField(min_value=1)
    leaf_hash = _hash_field("The entry's hash, which is its leaf hash.")
    root = _hash_field("The root of the tree of the first `size` entries.")
    proof = _proof_field()


class ConsistencyProofSerializer(serializers.Serializer):
    """The answer of the consistency-proof endpoint."""

    from_ = serializers.IntegerField(min_value=1)
    to = serializers.IntegerField(min_value=1)
    from_root = _hash_field("The root of the tree of the first `from` entries.")
    to_root = _hash_field("The root of the tree of the first `to` entries.")
    proof = _proof_field()

    def get_fields(self):
        # `from` is a keyword in Python, so the field is declared as `from_`.
        return {"from" if name == "from_" else name: field for name, field in super().get_fields().items()}


class PublicLedgerApi(APIView):
    """Base of the public endpoints: no authentication, anyone may read."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def numbers(self, *names: str) -> dict[str, int]:
        """Whole-number query parameters from 1 on, all required; every bad one is named in one 400."""
        values, errors = {}, {}
        for name in names:
            raw = self.request.query_params.get(name)
            if raw is None or raw == "":
                errors[name] = ["This parameter is required."]
            elif not _NUMBER.fullmatch(raw):
                errors[name] = [f"{raw!r} is not a whole number (at most 18 digits)."]
            elif int(raw) < _NUMBER_SCHEMA["minimum"]:
                errors[name] = [f"{name} must be at least 1."]
            else:
                values[name] = int(raw)
        if errors:
            raise DomainError("invalid", "bad query parameters", errors=errors)
        return values


def _within_ledger(name: str, size: int) -> None:
    """Refuse a tree size beyond the ledger's length."""
    length = tree_size()
    if size > length:
        raise DomainError("beyond_ledger", f"the ledger has {length} entries, fewer than {size}", field=name)


class CheckpointLatestApi(PublicLedgerApi):
    """GET: the latest signed checkpoint, as the signed note (text/plain)."""

    @extend_schema(
        operation_id="ledger_checkpoint_latest",
        summary="The latest signed checkpoint",
        description="A C2SP tlog-checkpoint signed note: origin, tree size, base64 root, a blank "
        "line and the Ed25519 signature line, followed by the witnesses' cosignature lines (C2SP "
        "tlog-cosignature) received so far. 404 before the first is signed.",
        responses=_text_schema("The signed note."),
    )
    def get(self, request):
        latest = checkpoint_latest()
        if latest is None:
            raise NotFound("No checkpoint has been signed yet.")
        return _text(checkpoint_note(latest))


class CheckpointApi(PublicLedgerApi):
    """GET ?size=N: the checkpoint signed at exactly that tree size (text/plain)."""

    @extend_schema(
        operation_id="ledger_checkpoint_by_size",
        summary="The checkpoint signed at a tree size",
        parameters=[_number("size", "The tree size (number of entries) of the checkpoint.")],
        responses=_text_schema(
            "The signed note with the witnesses' cosignatures; 404 if none was signed at that size."
        ),
    )
    def get(self, request):
        size = self.numbers("size")["size"]
        checkpoint = SignedCheckpoint.objects.filter(size=size).first()
        if checkpoint is None:
            raise NotFound(f"No checkpoint was signed at size {size}.")
        return _text(checkpoint_note(checkpoint))


class VerifierKeyApi(PublicLedgerApi):
    """GET: the verifier key that checks our checkpoints' signatures (text/plain, one line)."""

    @extend_schema(
        operation_id="ledger_verifier_key",
        summary="The key that verifies our checkpoints",
        responses=_text_schema("`<name>+<key ID>+<base64(0x01 || Ed25519 public key)>` and a newline."),
    )
    def get(self, request):
        return _text(verifier_key() + "\n")


class InclusionProofApi(PublicLedgerApi):
    """GET ?seq=S&size=N: the audit path showing entry S is leaf S - 1 of the tree of size N."""

    @extend_schema(
        operation_id="ledger_inclusion_proof",
        summary="Prove that an entry is in the tree of a given size",
        parameters=[
            _number("seq", "The entry, 1 ≤ seq ≤ size."),
            _number("size", "The tree size, at most the ledger's length (e.g. a checkpoint's size)."),
        ],
        responses=InclusionProofSerializer,
    )
    def get(self, request):
        params = self.numbers("seq", "size")
        seq, size = params["seq"], params["size"]
        _within_ledger("size", size)
        if not 1 <= seq <= size:
            raise DomainError("beyond_tree", f"seq must be between 1 and size ({size})", field="seq")
        leaf, root, proof = tree_root_and_inclusion_proof(seq - 1, size)
        body = {"seq": seq, "size": size, "leaf_hash": leaf.hex(), "root": root.hex(), "proof": _hexes(proof)}
        return Response(InclusionProofSerializer(body).data)


class ConsistencyProofApi(PublicLedgerApi):
    """GET ?from=M&to=N: the proof that the tree of size N extends the tree of size M."""

    @extend_schema(
        operation_id="ledger_consistency_proof",
        summary="Prove that the tree of one size extends the tree of a smaller one",
        parameters=[
            _number("from", "The older tree size (e.g. a checkpoint you kept), 1 ≤ from ≤ to."),
            _number("to", "The newer tree size, at most the ledger's length."),
        ],
        responses=ConsistencyProofSerializer,
    )
    def get(self, request):
        params = self.numbers("from", "to")
        old_size, new_size = params["from"], params["to"]
        _within_ledger("to", new_size)
        if not 1 <= old_size <= new_size:
            raise DomainError("beyond_tree", f"from must be between 1 and to ({new_size})", field="from")
        old_root, new_root, proof = tree_roots_and_consistency_proof(old_size, new_size)
        body = {
            "from": old_size,
            "to": new_size,
            "from_root": old_root.hex(),
            "to_root": new_root.hex(),
            "proof": _hexes(proof),
        }
        return Response(ConsistencyProofSerializer(body).data)


def _hexes(hashes: list[bytes]) -> list[str]:
    return [value.hex() for value in hashes]
