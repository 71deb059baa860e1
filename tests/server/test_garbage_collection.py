"""A server process keeps what start-up made out of the cyclic collector (server/main.py,
server/garbage_collection.py), and still collects the garbage its requests leave in cycles.

Each runs in a fresh interpreter: the test process's own collector is left as it is.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TypedDict

from live_server import REPOSITORY

# The factory uvicorn calls in each worker process; sandbox settings, nothing is opened.
STARTED = """
import gc, json, weakref
from server.main import app_from_environment
app_from_environment()
frozen, tracked = gc.get_freeze_count(), len(gc.get_objects())

class Node:
    pass

def garbage_cycle():
    node = Node()
    node.self = node
    return weakref.ref(node)

first = garbage_cycle()
# More garbage in cycles than the young threshold: it does not pile up without bound.
for _ in range(15_000):
    garbage_cycle()
print(json.dumps({
    "frozen": frozen,
    "tracked": tracked,
    "young_threshold": gc.get_threshold()[0],
    "cycle_collected": first() is None,
}))
"""


class Started(TypedDict):
    frozen: int
    tracked: int
    young_threshold: int
    cycle_collected: bool


def _started() -> Started:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", STARTED],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    started: Started = json.loads(done.stdout.splitlines()[-1])
    return started


def test_start_up_objects_are_frozen_and_garbage_in_cycles_is_still_collected() -> None:
    started = _started()
    # Modules, the schema and the application: about 200,000 objects, never scanned again.
    assert started["frozen"] > 100_000
    assert started["tracked"] < 10_000
    assert started["young_threshold"] == 10_000
    assert started["cycle_collected"] is True
