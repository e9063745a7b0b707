"""The protocol every lab original follows: its params as one JSON object on stdin, its result as one on stdout.

Standard library only. The service (src/cpython/run-original.ts) runs `python3 -E -s -B <lab>.py`, so this
directory is on sys.path and nothing from the user's environment or site-packages is.
"""
import json
import sys
import time


def read_params():
    return json.load(sys.stdin)


def answer(result):
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()


def ms_since(started):
    """Milliseconds since `started` (a time.perf_counter() reading), to the microsecond."""
    return round((time.perf_counter() - started) * 1000, 3)
