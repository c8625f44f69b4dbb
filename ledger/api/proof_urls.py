"""Routes of the public checkpoint and proof endpoints, mounted at /api/v1/ledger/."""

from django.urls import path

from ledger.api import proofs

urlpatterns = [
    path("checkpoint/", proofs.CheckpointLatestApi.as_view(), name="ledger-checkpoint-latest"),
    path("checkpoints/", proofs.CheckpointApi.as_view(), name="ledger-checkpoint"),
    path("key/", proofs.VerifierKeyApi.as_view(), name="ledger-verifier-key"),
    path("proofs/inclusion/", proofs.InclusionProofApi.as_view(), name="ledger-inclusion-proof"),
    path("proofs/consistency/", proofs.ConsistencyProofApi.as_view(), name="ledger-consistency-proof"),
]
