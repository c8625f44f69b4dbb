"""CBAM reads, narrowed to what a viewer may see."""

from django.db.models import QuerySet

from cbam.models import Installation
from ledger.visibility import Viewer


def visible_installations(viewer: Viewer, installations: QuerySet[Installation] | None = None) -> QuerySet:
    """Installations of the viewer's organisation; auditors and the operator see all."""
    installations = Installation.objects.all() if installations is None else installations
    if viewer.sees_everything:
        return installations
    return installations.filter(organisation_id=viewer.organisation_id)
