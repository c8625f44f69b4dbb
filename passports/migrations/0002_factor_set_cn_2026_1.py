"""Load the default factor set cn-2026.1 of CARBON.md."""

from decimal import Decimal

from django.db import migrations

FACTORS = [
    ("electricity_kwh", "energy", "0.5306", "kg CO2/kWh", "China national grid average 2023 (MEE/NBS notice)", False),
    ("natural_gas_m3", "energy", "2.1622", "kg CO2/m3",
     "China provincial GHG guideline default (38,931 kJ/m3, 15.3 tC/TJ, oxidation 0.99)", False),
    ("transport_truck", "transport", "0.095", "kg CO2e/t·km", "GLEC framework default, rigid truck 26–32 t", False),
    ("transport_rail", "transport", "0.025", "kg CO2e/t·km", "estimate", True),
    ("transport_ship", "transport", "0.015", "kg CO2e/t·km", "estimate", True),
    ("primary_aluminium", "material", "15.947", "kg CO2e/kg",
     "China primary ingot, life cycle 2020 (Peng et al., Processes 2022, 10, 2299)", False),
    ("silicon", "material", "11.6", "kg CO2e/kg", "estimate: ~5 direct + 12.4 MWh/t × China grid", True),
    ("magnesium", "material", "39.3", "kg CO2e/kg", "Pidgeon process, China (LCA, Carbon Resources Conversion 2023)",
     False),
]


def load(apps, schema_editor):
    factor_set_model = apps.get_model("passports", "EmissionFactorSet")
    factor_model = apps.get_model("passports", "EmissionFactor")
    factor_set = factor_set_model.objects.create(
        version="cn-2026.1", active=True, description="Default factor set of CARBON.md (method remelt-1), China 2026"
    )
    for key, kind, value, unit, source, estimate in FACTORS:
        factor_model.objects.create(
            factor_set=factor_set, key=key, kind=kind, value=Decimal(value), unit=unit, source=source,
            is_estimate=estimate,
        )


def unload(apps, schema_editor):
    apps.get_model("passports", "EmissionFactor").objects.filter(factor_set__version="cn-2026.1").delete()
    apps.get_model("passports", "EmissionFactorSet").objects.filter(version="cn-2026.1").delete()


class Migration(migrations.Migration):
    dependencies = [("passports", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
