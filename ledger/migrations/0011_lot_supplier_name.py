"""A scrap lot's supplier in two columns: `supplier`, a platform organisation's slug, and
`supplier_name`, the name of a supplier not on remelt. Until now `supplier` held either; a value
that names an organisation stays, any other moves to `supplier_name` (as a replay of those
entries reads them, ledger.events.scrap_received)."""

from django.db import migrations, models


def split(apps, schema_editor):
    Lot = apps.get_model("ledger", "Lot")
    Organisation = apps.get_model("accounts", "Organisation")
    slugs = Organisation.objects.values("slug")
    names = Lot.objects.exclude(supplier="").exclude(supplier__in=slugs)
    names.update(supplier_name=models.F("supplier"), supplier="")


def join(apps, schema_editor):
    Lot = apps.get_model("ledger", "Lot")
    Lot.objects.exclude(supplier_name="").update(supplier=models.F("supplier_name"), supplier_name="")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("ledger", "0010_generated_codes_random"),
    ]

    operations = [
        migrations.AddField(
            model_name="lot",
            name="supplier_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="supplier name"),
        ),
        migrations.RunPython(split, join),
        migrations.AlterField(
            model_name="lot",
            name="supplier",
            field=models.CharField(blank=True, max_length=64, verbose_name="supplier"),
        ),
    ]
