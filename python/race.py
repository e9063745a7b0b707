"""The race condition lab's original: threads add 1 to one shared counter, and updates get lost — or do not.

The lesson, as CPython 3.10+ runs it (with the GIL):

- `x += 1` in a `for` loop loses nothing. The GIL hands over only when the eval loop checks for a drop request,
  and since 3.10 it checks only at a loop's backward jump, at a Python function's entry (RESUME, 3.11+; 3.10 checks
  once the call returns) and when a call to C code returns (a builtin such as abs(), a method such as
  lock.acquire()). The read of `x`, the add and the write back all run between two such checks, so no other thread
  runs in between.
  (CPython 3.9 checked between almost any two bytecodes: 4 threads x 500 k lost 0.85-1.3 M of 2 M.)
- `x = x + one()` loses updates: the call is a switch point between the read and the write. Another thread may run
  a whole switch interval (sys.getswitchinterval(), 5 ms) of increments there; they are all overwritten when this
  thread writes back its stale `x + 1`. A builtin does the same: `x = x + abs(1)` loses updates too.
- `with lock: x += 1` (a threading.Lock) loses nothing, with or without the GIL. (A thread can be switched out
  holding a Lock — after an explicit lock.acquire() returns — but the others then wait for the lock, not for x.)
- Python has no atomic add on an int (no statement is one indivisible read-modify-write), so the Node lab's
  `atomic` strategy has no original here: it is listed under `absent` with the reason. Use a Lock.
- The seed's record: read a balance, `time.sleep(delay)` (the database round trip, which releases the GIL), write
  balance + 1. Without a lock every thread that read the same balance writes the same value; with one, none is lost.

On a free-threaded build (3.13t, GIL off) threads really run at once, and even `x += 1` loses updates.

Params on stdin (the Node lab's body): workers, increments, strategies, record {workers, updates, delayMs} or
null, switchIntervalMs, maxMs. The result uses the Node report's field names.
"""
import os
import sys
import threading
import time

from lab_io import answer, ms_since, read_params

x = 0  # the shared counter (a module global, as in the seed's notes)
lock = threading.Lock()


def one():
    return 1


def unsafe(n):
    """x += 1: LOAD_GLOBAL x, add, STORE_GLOBAL x, then the loop's backward jump (the only switch point)."""
    global x
    for _ in range(n):
        x += 1


def unsafe_call(n):
    """x = x + one(): the read of x, then a call (a switch point at its entry), then the write of a value read before it."""
    global x
    for _ in range(n):
        x = x + one()


def mutex(n):
    """The same x += 1 under a threading.Lock: one thread at a time runs the read-modify-write.

    Entering `with` calls lock.acquire without a switch check (3.11+); the check as __exit__ returns comes after the
    release. So on 3.11+ this loop is never switched out holding the lock, as the Node lab's mutex never is.
    """
    global x
    for _ in range(n):
        with lock:  # cannot hang: nothing else holds this lock, and the lab's run is killed past LAB_MAX_MS
            x += 1


STRATEGIES = {
    "unsafe": (unsafe, "x += 1"),
    "unsafe-call": (unsafe_call, "x = x + one()"),
    "mutex": (mutex, "with lock: x += 1"),
}
ABSENT = {
    "atomic": "Python has no atomic add on an int: no statement is one indivisible read-modify-write "
              "(Node's Atomics.add is a lock xadd). The Python way is a threading.Lock: see mutex.",
}


def run_threads(target, workers, args, max_s):
    """Starts `workers` threads of target(*args) that begin together at a Barrier; returns (ms, startupMs).

    ms: the first thread's start -> the last thread's end, timed in the threads. Daemon threads and bounded waits:
    a thread that does not finish within max_s is reported, never waited for forever.
    """
    spans = []
    ready = []
    barrier = threading.Barrier(workers, action=lambda: ready.append(time.perf_counter()))

    def body():
        barrier.wait(timeout=max_s)
        started = time.perf_counter()
        target(*args)
        spans.append((started, time.perf_counter()))  # list.append is atomic in CPython

    spawned = time.perf_counter()
    threads = [threading.Thread(target=body, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    deadline = spawned + max_s
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.perf_counter()))
    if any(thread.is_alive() for thread in threads):
        raise TimeoutError(f"a thread did not finish within {max_s * 1000:.0f} ms (LAB_MAX_MS)")
    if len(spans) < workers:  # a thread raised (its traceback is on stderr): its count would be missing
        raise RuntimeError(f"{workers - len(spans)} of {workers} threads failed")
    ms = (max(end for _, end in spans) - min(start for start, _ in spans)) * 1000
    return round(ms, 3), round((ready[0] - spawned) * 1000, 3)


def tally(expected, actual, ms, startup_ms):
    return {"expected": expected, "actual": actual, "lostUpdates": expected - actual, "ms": ms, "startupMs": startup_ms}


def run_strategy(name, workers, increments, max_s):
    global x
    target, statement = STRATEGIES[name]
    x = 0
    ms, startup_ms = run_threads(target, workers, (increments,), max_s)
    expected = workers * increments
    return {"strategy": name, "python": statement, **tally(expected, x, ms, startup_ms),
            "opsPerSec": round(expected / (max(ms, 0.001) / 1000))}


class Record:
    """The seed's "database record": a balance read and written by separate statements."""

    def __init__(self):
        self.balance = 0


def update_record(record, updates, delay_s, locked, max_s):
    for _ in range(updates):
        if locked and not lock.acquire(timeout=max_s):
            raise TimeoutError("the record's lock was not free within LAB_MAX_MS")
        try:
            balance = record.balance        # read
            time.sleep(delay_s)             # the database round trip (releases the GIL)
            record.balance = balance + 1    # write what was read + 1
        finally:
            if locked:
                lock.release()


def run_record(workers, updates, delay_ms, max_s):
    results = []
    for locked in (False, True):
        record = Record()
        ms, startup_ms = run_threads(update_record, workers, (record, updates, delay_ms / 1000, locked, max_s), max_s)
        results.append({"locked": locked, **tally(workers * updates, record.balance, ms, startup_ms)})
    return {"workers": workers, "updates": updates, "delayMs": delay_ms, "results": results}


def main():
    params = read_params()
    started = time.perf_counter()
    max_s = params.get("maxMs", 60_000) / 1000
    sys.setswitchinterval(params.get("switchIntervalMs", 5) / 1000)
    workers, increments = params["workers"], params["increments"]
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    result = {
        "workers": workers,
        "increments": increments,
        "gil": is_gil_enabled() if is_gil_enabled else True,
        "switchIntervalMs": round(sys.getswitchinterval() * 1000, 6),
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "results": [run_strategy(name, workers, increments, max_s) for name in params["strategies"] if name in STRATEGIES],
        "absent": [{"strategy": name, "reason": ABSENT[name]} for name in params["strategies"] if name in ABSENT],
    }
    if params.get("record"):
        record = params["record"]
        result["record"] = run_record(record["workers"], record["updates"], record["delayMs"], max_s)
    result["totalMs"] = ms_since(started)
    answer(result)


if __name__ == "__main__":
    main()
    os._exit(0)  # no thread can keep the process alive once the answer is out
