"""The server processes keep the garbage collector out of the sockets' way (config/asgi.py)."""

import json
import subprocess
import sys

from tests.servers import ROOT, daphne_env


def test_the_asgi_application_freezes_start_up_objects_and_collects_young_ones_rarely():
    # In a process of its own: importing the ASGI module sets the collector for the whole
    # interpreter, which must not leak into the test process.
    probe = (
        "import gc, json, config.asgi; "
        "print(json.dumps([gc.get_threshold()[0], gc.get_freeze_count()]))"
    )
    done = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=daphne_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    threshold, frozen = json.loads(done.stdout.strip().splitlines()[-1])
    # Full collections over hundreds of sockets paused every socket 10-460 ms at the default.
    assert threshold >= 10_000
    # Django, the apps and the URL conf are out of the collector's sight.
    assert frozen > 10_000
