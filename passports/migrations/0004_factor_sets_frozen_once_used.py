"""Once a roll-up has used a factor set, its factors can no longer change (publish a new set)."""

from django.db import migrations

POSTGRES_UP = """
CREATE FUNCTION passports_factor_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    set_id bigint := CASE WHEN TG_OP = 'INSERT' THEN NEW.factor_set_id ELSE OLD.factor_set_id END;
BEGIN
    IF EXISTS (SELECT 1 FROM passports_rolluprun WHERE factor_set_id = set_id) THEN
        RAISE EXCEPTION 'emission factor set % was used by a roll-up: publish a new version', set_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER passports_factor_frozen BEFORE INSERT OR UPDATE OR DELETE ON passports_emissionfactor
    FOR EACH ROW EXECUTE FUNCTION passports_factor_frozen();
"""
POSTGRES_DOWN = """
DROP TRIGGER passports_factor_frozen ON passports_emissionfactor;
DROP FUNCTION passports_factor_frozen();
"""
SQLITE_UP = [
    f"""CREATE TRIGGER passports_factor_frozen_{op.lower()} BEFORE {op} ON passports_emissionfactor
        WHEN EXISTS (SELECT 1 FROM passports_rolluprun WHERE factor_set_id = {row}.factor_set_id)
        BEGIN SELECT RAISE(ABORT, 'emission factor set was used by a roll-up: publish a new version'); END"""
    for op, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD"))
]
SQLITE_DOWN = [f"DROP TRIGGER passports_factor_frozen_{op}" for op in ("insert", "update", "delete")]


def install(apps, schema_editor):
    for statement in {"postgresql": [POSTGRES_UP], "sqlite": SQLITE_UP}[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor):
    for statement in {"postgresql": [POSTGRES_DOWN], "sqlite": SQLITE_DOWN}[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("passports", "0003_rollup")]
    operations = [migrations.RunPython(install, uninstall)]
