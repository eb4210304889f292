"""The README's development server runs on SQLite: a phone's pulls work there too (the
suite's other tests run on PostgreSQL)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_phone_syncs_with_the_development_server_on_sqlite(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "umcr.settings",
        "DEBUG": "true",
        "SECRET_KEY": "sqlite-demo-test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PYTHONPATH": str(ROOT),
        # Pages of 40: the first sync is paged (open calls first, then its plan's pages).
        "SYNC_MAX_PAGE": "40",
        "SYNC_FIRST_SYNC_PAGE": "40",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.sqlite_pull"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["first"] > 0
    assert figures["pages"] > 2
    # An incremental pull once something was written (it answered 500 on SQLite).
    assert figures["status"] == 200
    assert figures["notes"] == [figures["note"]]
