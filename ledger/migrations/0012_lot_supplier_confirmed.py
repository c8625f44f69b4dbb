"""A platform supplier holds (sees) a scrap lot only once it confirms the receipt
(`supply.confirmed`). No receipt is confirmed yet, so a supplier that holds a lot only because a
receipt names it stops holding it (as a replay of the ledger finds); its maker, current owner and
receivers keep theirs."""

from django.db import migrations, models


def unconfirmed(apps, schema_editor):
    Lot = apps.get_model("ledger", "Lot")
    LotHolder = apps.get_model("ledger", "LotHolder")
    Organisation = apps.get_model("accounts", "Organisation")
    TransferItem = apps.get_model("ledger", "TransferItem")
    ids = dict(Organisation.objects.values_list("slug", "id"))
    lots = Lot.objects.exclude(supplier="").values_list("id", "supplier", "owner_id", "made_by__organisation_id")
    received = set(
        TransferItem.objects.filter(lot__in=Lot.objects.exclude(supplier=""), transfer__voided=False).values_list(
            "lot_id", "transfer__to_organisation_id"
        )
    )
    stale = []
    for lot_id, supplier, owner_id, maker_id in lots.iterator(chunk_size=5000):
        org_id = ids.get(supplier)
        if org_id is not None and org_id not in (owner_id, maker_id) and (lot_id, org_id) not in received:
            stale.append((lot_id, org_id))
    for lot_id, org_id in stale:
        LotHolder.objects.filter(lot_id=lot_id, organisation_id=org_id).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("ledger", "0011_lot_supplier_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="lot",
            name="supplier_confirmed",
            field=models.BooleanField(default=False, verbose_name="supplier confirmed"),
        ),
        migrations.RunPython(unconfirmed, migrations.RunPython.noop),
    ]
