"""The embedded default runs on SQLite: the same search tests pass there, through the substring
backend. Run in a fresh interpreter on a throwaway SQLite database (like tests/config)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif("connection.vendor == 'sqlite'", reason="this run is on SQLite already")
def test_the_search_tests_pass_on_sqlite(tmp_path):
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(ROOT)),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'search.sqlite3'}",
        # Local services only: no Redis, no CI (which insists on PostgreSQL).
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "CI": "",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-q",
            "-m",
            "not postgresql",
            "tests/search/test_search.py",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert " passed" in output
    assert "skipped" not in output  # PostgreSQL-only tests are deselected, never skipped
    assert connection.vendor == "postgresql"
