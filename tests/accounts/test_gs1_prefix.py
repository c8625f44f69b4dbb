"""An organisation's GS1 company prefix: the service, the command and the admin validate it."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organisation
from accounts.services import organisation_create, organisation_gs1_prefix_set
from ledger.errors import DomainError

pytestmark = pytest.mark.django_db


def test_a_prefix_is_6_to_12_digits_and_belongs_to_one_organisation(cast):
    organisation_gs1_prefix_set(organisation=cast["alurec"], prefix="4012345")
    assert Organisation.objects.get(slug="alurec").gs1_company_prefix == "4012345"
    for bad in ("12345", "1234567890123", "40123a5", "４０１２３４５"):
        with pytest.raises(DomainError) as refused:
            organisation_gs1_prefix_set(organisation=cast["wheelworks"], prefix=bad)
        assert refused.value.errors == {"gs1_company_prefix": ["a GS1 company prefix is 6 to 12 digits"]}
    with pytest.raises(DomainError) as taken:
        organisation_gs1_prefix_set(organisation=cast["wheelworks"], prefix="4012345")
    assert taken.value.status == 409
    organisation_gs1_prefix_set(organisation=cast["alurec"], prefix="")
    organisation_gs1_prefix_set(organisation=cast["wheelworks"], prefix="4012345")
    assert Organisation.objects.get(slug="wheelworks").gs1_company_prefix == "4012345"


def test_commands(db, capsys):
    call_command(
        "create_organisation", "zy", "Zhongyuan Wheels", "--role", "wheel_maker", "--gs1-prefix", "6901234"
    )
    assert Organisation.objects.get(slug="zy").gs1_company_prefix == "6901234"
    call_command("set_gs1_prefix", "zy", "690123")
    assert "GS1 company prefix 690123" in capsys.readouterr().out
    call_command("set_gs1_prefix", "zy", "--clear")
    assert Organisation.objects.get(slug="zy").gs1_company_prefix == ""
    with pytest.raises(CommandError, match="6 to 12 digits"):
        call_command("set_gs1_prefix", "zy", "12")
    with pytest.raises(CommandError, match="no organisation"):
        call_command("set_gs1_prefix", "nobody", "690123")
    organisation_create(slug="other", name="Other", roles=["oem"], gs1_company_prefix="7001234")
    with pytest.raises(CommandError, match="belongs to another organisation"):
        call_command("set_gs1_prefix", "zy", "7001234")


def test_the_admin_refuses_a_bad_prefix(admin_client, cast):
    organisation = cast["alurec"]
    url = f"/admin/accounts/organisation/{organisation.pk}/change/"
    form = {
        "slug": "alurec",
        "name": "Alurec",
        "roles": '["recycler"]',
        "created_at_0": "2026-01-01",
        "created_at_1": "00:00:00",
    }
    response = admin_client.post(url, {**form, "gs1_company_prefix": "12ab"})
    assert (
        response.status_code == 200 and "A GS1 company prefix is 6 to 12 digits." in response.content.decode()
    )
    response = admin_client.post(url, {**form, "gs1_company_prefix": "4012345"})
    assert response.status_code == 302
    assert Organisation.objects.get(pk=organisation.pk).gs1_company_prefix == "4012345"
