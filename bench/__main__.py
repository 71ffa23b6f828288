"""`python -m bench`: seed a throwaway database, time pages, API and sockets, write the report."""

import os
import sys
import time

import django

# Own database and Redis database, so a benchmark never disturbs someone's test run.
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/maillage_bench")
os.environ["TEST_REDIS_DB_BASE"] = "14"
os.environ["PYTEST_XDIST_WORKER"] = "gw0"
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"


def main() -> int:
    started = time.perf_counter()
    django.setup()

    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    from bench import report, run

    setup_test_environment(debug=False)
    old_name = connection.settings_dict["NAME"]
    print(f"Creating a throwaway {connection.vendor} database…", flush=True)
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        facts = report.machine_facts(connection)
        results = run.run_all()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    facts["run_seconds"] = time.perf_counter() - started
    facts["load_end"] = os.getloadavg()
    path = report.write(facts, results)
    print(f"Done in {facts['run_seconds']:.0f} s: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
