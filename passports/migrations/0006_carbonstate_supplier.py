from django.db import migrations, models


class Migration(migrations.Migration):
    """Carbon states keep the part of their alloying priced by suppliers' own footprints
    (method remelt-2). A nullable column, so SQLite adds it without rebuilding the table."""

    dependencies = [
        ("passports", "0005_anchor_v2"),
    ]

    operations = [
        migrations.AddField(
            model_name="carbonstate",
            name="supplier",
            field=models.CharField(
                help_text="of `alloying`, what suppliers' own footprints priced (remelt-2)", max_length=40, null=True
            ),
        ),
    ]
