"""`python -m bench`: seed a throwaway database, time pages, API, sockets, feeds; write the report.

`python -m bench --feeds-only` runs only the feed benchmark and prints its section of the
report instead of writing docs/benchmarks.md (handy while working on the feeds).
`python -m bench --files-only` runs only the files benchmark (a 1 GiB file up and down through
a daphne process) and rewrites its section of docs/benchmarks.md, leaving the rest as it was.
`python -m bench --ws-only` runs only the WebSocket fan-out benchmark (two server processes,
1,000 sockets, messages through the API; see bench/ws_fanout.py) and rewrites its section.
`python -m bench --search-only` runs only the search benchmark (1,000,000 posts and comments in
a database of its own, maillage_bench_search or $BENCH_SEARCH_DATABASE; see bench/search.py)
and rewrites its section.
`python -m bench --file-texts-only` runs only the file text extraction benchmark (no database;
see bench/file_texts.py) and rewrites its section.
"""

import argparse
import os
import sys
import time

import django

# Own database and Redis database, so a benchmark never disturbs someone's test run.
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/maillage_bench")
os.environ.setdefault("TEST_REDIS_DB_BASE", "14")
os.environ["PYTEST_XDIST_WORKER"] = "gw0"
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"


def main() -> int:
    if sys.argv[1:] == ["--digests-only"]:  # daily digests for 2,000 people (bench/digests.py)
        django.setup()
        from bench.digests import main as digests_main

        return digests_main()
    if sys.argv[1:] == ["--file-texts-only"]:  # text of shared files for search, no database
        django.setup()
        from bench.file_texts import main as file_texts_main

        return file_texts_main()
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--feeds-only",
        action="store_true",
        help="run only the feed benchmark and print its report section",
    )
    parser.add_argument(
        "--files-only",
        action="store_true",
        help="run only the files benchmark and rewrite its section of docs/benchmarks.md",
    )
    parser.add_argument(
        "--ws-only",
        action="store_true",
        help="run only the WebSocket fan-out benchmark and rewrite its section of the report",
    )
    parser.add_argument(
        "--search-only",
        action="store_true",
        help="run only the search benchmark (its own database) and rewrite its section",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    django.setup()

    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    from bench import feeds, files, report, run, ws_fanout
    from bench import search as search_bench

    setup_test_environment(debug=False)
    old_name = connection.settings_dict["NAME"]
    if args.search_only:  # a million rows of its own, never in the other benchmarks' database
        connection.settings_dict.setdefault("TEST", {})["NAME"] = os.environ.get(
            "BENCH_SEARCH_DATABASE", "maillage_bench_search"
        )
    print(f"Creating a throwaway {connection.vendor} database…", flush=True)
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        facts = report.machine_facts(connection)
        if args.feeds_only:
            print("Feeds…", flush=True)
            feed_results = feeds.run()
        elif args.files_only:
            print("Files through daphne…", flush=True)
            file_results = files.run()
        elif args.ws_only:
            print("WebSocket fan-out through two server processes…", flush=True)
            ws_results = ws_fanout.run()
        elif args.search_only:
            print("Search over a million posts and comments…", flush=True)
            search_results = search_bench.run()
        else:
            results = run.run_all()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    facts["run_seconds"] = time.perf_counter() - started
    facts["load_end"] = os.getloadavg()
    if args.feeds_only:
        print("\n".join(report.feeds_section(feed_results)))
        print(f"Done in {facts['run_seconds']:.0f} s (docs/benchmarks.md left as it was).")
        return 0
    if args.files_only:
        path = report.write_section("Files", report.files_section(file_results, facts))
        print(f"Done in {facts['run_seconds']:.0f} s: the Files section of {path}")
        return 0
    if args.ws_only:
        title = report.ws_fanout_title(ws_results)
        path = report.write_section(title, report.ws_fanout_section(ws_results, facts))
        print(f"Done in {facts['run_seconds']:.0f} s: the WebSocket fan-out section of {path}")
        return 0
    if args.search_only:
        path = report.write_section("Search", search_bench.section(search_results, facts))
        print(f"Done in {facts['run_seconds']:.0f} s: the Search section of {path}")
        return 0
    path = report.write(facts, results)
    print(f"Done in {facts['run_seconds']:.0f} s: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
