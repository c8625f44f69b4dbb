"""CBAM factor sets, immutable once stored, and the first one, cbam-2026.1 (CBAM.md)."""

import django.utils.timezone
from django.db import migrations, models

GAS_SOURCE = (
    "China provincial GHG guideline default for natural gas burnt (38,931 kJ/m3, 15.3 tC/TJ, "
    "oxidation 0.99): a combustion, direct factor, declared here for CBAM on its own"
)
CBAM_2026_1 = {
    "version": "cbam-2026.1",
    "method": "cbam-1",
    "description": "CBAM factors of CBAM.md (method cbam-1): direct combustion, grid for information, "
    "default precursor SEE, CN codes by alloy",
    "factors": {
        "natural_gas_combustion_m3": {
            "value": "2.1622", "unit": "kg CO2/m3", "source": GAS_SOURCE, "estimate": False,
        },
        "electricity_grid_kwh": {
            "value": "0.5306", "unit": "kg CO2/kWh",
            "source": "China national grid average 2023 (MEE/NBS notice); for SEE_indirect, information only",
            "estimate": False,
        },
        "see_default_primary_aluminium": {
            "value": "1.6", "unit": "t CO2e/t",
            "source": "illustrative value of CBAM.md's worked example, not the Commission's default value for "
            "CN 7601: replace it with the published default of the country of origin in a new version",
            "estimate": True,
        },
    },
    "precursors": {
        "primary_aluminium": {"cn_code": "7601 10", "default": "see_default_primary_aluminium"},
        "unwrought_aluminium": {"cn_code": "7601", "default": "see_default_primary_aluminium"},
    },
    "cn_codes": {
        "by_alloy": {
            "A356.2": "7601 20", "A356": "7601 20", "A357": "7601 20", "ADC12": "7601 20",
            "AlSi7Mg0.3": "7601 20", "AlSi9Cu3": "7601 20", "P1020": "7601 10", "Al99.7": "7601 10",
        },
        "default": "7601 20",
        "source": "Combined Nomenclature chapter 76: 7601 10 aluminium not alloyed, 7601 20 aluminium alloys",
        "default_estimate": True,
    },
}

POSTGRES_UP = """
CREATE FUNCTION cbam_factor_set_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.version <> OLD.version OR NEW.document::text <> OLD.document::text THEN
        RAISE EXCEPTION 'CBAM factor set % is immutable: publish a new version', OLD.version
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER cbam_factor_set_frozen BEFORE UPDATE OR DELETE ON cbam_cbamfactorset
    FOR EACH ROW EXECUTE FUNCTION cbam_factor_set_frozen();
"""
SQLITE_UP = [
    """CREATE TRIGGER cbam_factor_set_frozen_update BEFORE UPDATE ON cbam_cbamfactorset
        WHEN NEW.version <> OLD.version OR NEW.document <> OLD.document
        BEGIN SELECT RAISE(ABORT, 'CBAM factor set is immutable: publish a new version'); END""",
    """CREATE TRIGGER cbam_factor_set_frozen_delete BEFORE DELETE ON cbam_cbamfactorset
        BEGIN SELECT RAISE(ABORT, 'CBAM factor set is immutable: publish a new version'); END""",
]


SQLITE_DOWN = ["DROP TRIGGER cbam_factor_set_frozen_update", "DROP TRIGGER cbam_factor_set_frozen_delete"]


def load(apps, schema_editor):
    apps.get_model("cbam", "CbamFactorSet").objects.create(
        version=CBAM_2026_1["version"], document=CBAM_2026_1, active=True
    )


def freeze(apps, schema_editor):
    for statement in {"postgresql": [POSTGRES_UP], "sqlite": SQLITE_UP}[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="CbamFactorSet",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.CharField(max_length=40, unique=True)),
                ("document", models.JSONField()),
                ("active", models.BooleanField(default=False)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"ordering": ["-created_at"]},
        ),
        migrations.AddConstraint(
            model_name="cbamfactorset",
            constraint=models.UniqueConstraint(
                condition=models.Q(("active", True)), fields=("active",), name="one_active_cbam_set"
            ),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
        migrations.RunPython(freeze, migrations.RunPython.noop),
    ]
