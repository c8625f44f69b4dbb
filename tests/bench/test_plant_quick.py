"""bench/plant.py --quick runs to the end and its invariants hold (it is CI's smoke run of the
plant-month benchmark; its speed figures are for reading, not asserted here)."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_quick_plant_month_prints_its_table_with_the_invariants_met():
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    env = {**os.environ, "DATABASE_URL": f"{url}/{db['NAME']}_bench_plant"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "plant.py"), "--quick"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {line.split("  ")[0]: line for line in done.stdout.splitlines()}
    for figure in (
        "full again: versions + states made (incremental = full)",
        "conservation, |introduced - held| / introduced",
        "passports equal to the offline verifier's recomputation",
    ):
        assert rows[figure].endswith(" MET"), rows[figure]
    # The recall lists every wheel the lot's metal reached: at this size, all of them.
    assert rows["recall of the month's first scrap lot: wheels"].split()[-3] == "1,800"
