"""The admin's record forms follow the roles table (ledger.shapes): operator staff record for
the organisations whose roles may post the event, and staff of an organisation that may post
none of a form's events (an auditor) get neither the form nor its link."""

from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.services import user_create
from ledger.models import Entry
from tests.ledger.test_admin import form_data, ops, record_url, staff  # noqa: F401


def test_operator_staff_record_for_the_organisations_whose_roles_may_post_the_event(staff, cast):  # noqa: F811
    offered = {
        kind: {
            org.slug for org in staff.get(record_url(kind)).context["form"].fields["organisation"].queryset
        }
        for kind in ("scrap", "melt", "parts", "transfer")
    }
    assert offered["scrap"] == offered["melt"] == {"alurec", "outsider", "wheelworks"}
    assert offered["parts"] == {"alurec", "wheelworks"}
    assert offered["transfer"] == {"alurec", "autofab", "outsider", "scrapco", "wheelworks"}

    data = form_data(
        cast["certa"],
        supplier_name="Foshan Metals",
        grade="wheels",
        category="post_consumer",
        mass_kg="100",
        transport_distance_km="10",
        transport_mode="truck",
    )
    response = staff.post(record_url("scrap"), data)
    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["form"].errors["organisation"])
    assert not Entry.objects.exists()


def test_auditor_staff_get_no_record_form_nor_its_link(client, certa):
    carol = user_create(username="carol", organisation=certa, password="carol-audits-it", is_staff=True)
    carol.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_entry", "view_lot"], content_type__app_label="ledger")
    )
    client.force_login(carol)
    for kind in ("scrap", "melt", "ingots", "parts", "transfer", "amend", "void"):
        assert client.get(record_url(kind)).status_code == 403, kind
    lots = client.get(reverse("admin:ledger_lot_changelist"))
    assert lots.status_code == 200
    html = lots.content.decode()
    assert record_url("melt") not in html and record_url("scrap") not in html
