"""The deadlock lab's Python original: two locks taken in opposite orders, and the seed's own deadlock, "two
acquire operations run without a release", in real threading.Lock and threading.RLock.

One strategy per run, as in POST /labs/deadlock (thread i of N needs lock i and lock i+1 mod N):
  opposite-order       lock i, hold it, then lock i+1: every thread holds one lock and waits for the next (a cycle)
  ordered              the lower-numbered lock first: no cycle can form
  timeout              acquire(timeout=...); on failure give back what you hold, back off a random time, retry
  double-acquire       Lock.acquire() twice by the thread that holds it: it waits for itself for ever (kind self)
  reentrant            an RLock taken twice and released twice (fine), then released once more: RuntimeError
  never-released       the holder raises before its release(): the lock stays held, its waiters wait for ever
  released-in-finally  the same inside `with lock:`, which releases on the way out, exception or not

A Lock does not know who holds it, and no thread can be killed. So every lock here is wrapped (TrackedLock,
TrackedRLock) to write down who holds it and who waits for it, and the watchdog — the main thread, joining the
daemon threads with a timeout — reads that table every watchdogMs. When it finds a deadlock it says which kind
(cycle, self, abandoned), shows where each stuck thread waits (sys._current_frames()), and leaves those threads
where they are: there is no Thread.kill(), and a thread blocked in acquire() cannot be interrupted. The script
prints its answer and ends with os._exit(0), which takes the stuck threads with it.
"""
import os
import random
import sys
import threading
import time
import traceback

from lab_io import answer, ms_since, read_params

RING_STRATEGIES = ("opposite-order", "ordered", "timeout")

# Each thread's number (0 … N-1), so a wrapped lock knows who is calling it, as Lock.acquire() takes no name.
current = threading.local()


class WaitForTable:
    """Who holds each lock, which lock each thread waits for, and the counters of the report.

    Written by the threads, read by the watchdog, always under `guard` — a lock of its own that is held only for a
    few lines, never while anyone waits for a lab lock. The rules that keep the watchdog's picture true:
      1. before blocking on lock L, a thread writes "I wait for L" (so a thread that blocks for ever has said so);
      2. once L is acquired, it clears its wait and writes "I own L";
      3. before releasing L, it clears "I own L" (after the release someone else may take L and write itself).
    So "w owns L" in a picture means w holds L at that moment.
    """

    def __init__(self, locks, workers):
        self.guard = threading.Lock()
        self.owners = [None] * locks
        self.rows = [{"waitsFor": None, "timed": False, "acquired": 0, "attempts": 0, "backoffs": 0,
                      "acquisitions": 0, "releases": 0} for _ in range(workers)]

    def waits_for(self, worker, lock, timed):
        with self.guard:
            self.rows[worker].update(waitsFor=lock, timed=timed)

    def acquired(self, worker, lock):
        with self.guard:
            self.rows[worker].update(waitsFor=None, timed=False)
            self.rows[worker]["acquisitions"] += 1
            self.owners[lock] = worker

    def gave_up(self, worker):
        with self.guard:
            self.rows[worker].update(waitsFor=None, timed=False)

    def releasing(self, lock):
        with self.guard:
            self.owners[lock] = None

    def count(self, worker, counter, by=1):
        with self.guard:
            self.rows[worker][counter] += by

    def snapshot(self):
        with self.guard:
            return list(self.owners), [dict(row) for row in self.rows]


class TrackedLock:
    """A threading.Lock that writes its holder and its waiters in the table. Used like a Lock (acquire, release, with)."""

    def __init__(self, table, number):
        self.table = table
        self.number = number
        self._lock = threading.Lock()

    def acquire(self, blocking=True, timeout=-1):
        worker = current.worker
        self.table.waits_for(worker, self.number, timed=timeout >= 0 or not blocking)
        got = self._lock.acquire(blocking, timeout)
        if got:
            self.table.acquired(worker, self.number)
        else:
            self.table.gave_up(worker)
        return got

    def release(self):
        self.table.releasing(self.number)
        self._lock.release()
        self.table.count(current.worker, "releases")

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


class TrackedRLock:
    """A threading.RLock, tracked the same way. Its owner may take it again without waiting: no wait is written then.
    A release by a thread that does not hold it is refused by CPython itself (RuntimeError) and changes nothing."""

    def __init__(self, table, number):
        self.table = table
        self.number = number
        self._lock = threading.RLock()
        self._count = 0  # written only by the owner

    def acquire(self):
        worker = current.worker
        outer = self.table.owners[self.number] != worker  # only the owner writes itself there: safe to read
        if outer:
            self.table.waits_for(worker, self.number, timed=False)
        self._lock.acquire()
        if outer:
            self.table.acquired(worker, self.number)
        else:
            self.table.count(worker, "acquisitions")
        self._count += 1

    def release(self):
        worker = current.worker
        last = self.table.owners[self.number] == worker and self._count == 1
        if last:
            self.table.releasing(self.number)  # rule 3
        try:
            self._lock.release()  # RuntimeError here when `worker` does not hold it
        except RuntimeError:
            if last:  # cannot happen (the table says we own it), but never leave the table wrong
                self.table.acquired(worker, self.number)
            raise
        self._count -= 1
        self.table.count(worker, "releases")


def lock_order(strategy, worker, workers):
    """The locks a thread takes, in order (double-acquire and reentrant: one lock twice)."""
    if strategy == "double-acquire":
        return [worker, worker]
    if strategy == "reentrant":
        return [0, 0]
    if strategy not in RING_STRATEGIES:
        return [0]
    own, following = worker, (worker + 1) % workers
    return [min(own, following), max(own, following)] if strategy == "ordered" else [own, following]


# ---- the threads: one function per strategy ------------------------------------------------------------------

def blocking(p, table, locks, worker):
    """opposite-order and ordered: wait on each lock for as long as it takes (for ever, in a deadlock)."""
    first, second = (locks[n] for n in lock_order(p["strategy"], worker, p["workers"]))
    table.count(worker, "attempts")
    first.acquire()
    time.sleep(p["holdMs"] / 1000)  # the others take their first locks meanwhile
    second.acquire()
    table.count(worker, "acquired")
    second.release()
    first.release()


def with_timeouts(p, table, locks, worker):
    """timeout: never wait longer than tryLockMs; on failure release what you hold, back off, retry."""
    first, second = (locks[n] for n in lock_order(p["strategy"], worker, p["workers"]))
    timeout = p["tryLockMs"] / 1000
    backoff = random.Random(f"{p['seed']}:{worker}")
    for attempt in range(1, p["maxAttempts"] + 1):
        table.count(worker, "attempts")
        if first.acquire(timeout=timeout):
            time.sleep(p["holdMs"] / 1000)
            if second.acquire(timeout=timeout):
                table.count(worker, "acquired")
                second.release()
                first.release()
                return
            first.release()
        if attempt < p["maxAttempts"]:
            table.count(worker, "backoffs")
            time.sleep(backoff.random() * (p["holdMs"] + p["tryLockMs"]) * 2 ** min(attempt - 1, 3) / 1000)


def double_acquire(p, table, locks, worker):
    """A Lock taken twice by its holder: the second acquire() waits for the first to be released — by itself."""
    lock = locks[worker]
    table.count(worker, "attempts")
    lock.acquire()
    time.sleep(p["holdMs"] / 1000)
    lock.acquire()  # waits for itself for ever: a Lock has no owner, it cannot tell the caller holds it


def reentrant(p, table, rlock, worker):
    """An RLock taken twice (a locked function calling another), released twice, then once too often."""
    table.count(worker, "attempts")
    rlock.acquire()
    rlock.acquire()  # the owner takes it again: it counts, it does not wait
    time.sleep(p["holdMs"] / 1000)
    table.count(worker, "acquired")
    rlock.release()
    rlock.release()
    try:
        rlock.release()  # not ours any more
    except RuntimeError as error:
        return f"RuntimeError: {error}"
    return None


def never_released(p, table, lock, worker):
    """The holder raises between acquire() and release(): the thread ends, the lock stays held."""
    table.count(worker, "attempts")
    lock.acquire()
    table.count(worker, "acquired")
    time.sleep(p["holdMs"] / 1000)
    raise ValueError(f"worker {worker} threw while holding lock 0 (never released)")
    lock.release()  # never reached  # noqa


def released_in_finally(p, table, lock, worker):
    """The same work inside `with lock:` (acquire; try: ... finally: release): the exception no longer keeps it."""
    table.count(worker, "attempts")
    with lock:
        table.count(worker, "acquired")
        time.sleep(p["holdMs"] / 1000)
        raise ValueError(f"worker {worker} threw while holding lock 0 (released in finally)")


# ---- the watchdog --------------------------------------------------------------------------------------------

def find_deadlock(owners, rows, gone):
    """The deadlock of a picture, or None: a cycle of blocking waits (self: a cycle of one), or threads blocked on a
    lock whose owner is gone. Each thread waits for at most one lock, so it has at most one edge: thread → owner.
    `gone`: threads that had ended before the picture was taken — they will never release what they hold."""
    def following(worker):
        row = rows[worker]
        if worker in gone or row["waitsFor"] is None or row["timed"]:
            return None  # a timed wait ends by itself: it is no deadlock
        return owners[row["waitsFor"]]

    in_cycle, first_cycle, visited = set(), None, set()
    for start in range(len(rows)):
        path, worker = [], start
        while worker is not None and worker not in visited and worker not in path:
            path.append(worker)
            worker = following(worker)
        if worker is not None and worker in path:
            cycle = path[path.index(worker):]
            in_cycle.update(cycle)
            first_cycle = first_cycle or cycle
        visited.update(path)

    abandoned, stuck = None, []
    for worker in range(len(rows)):
        at = worker
        for _ in range(len(rows) + 1):
            if at is None or worker in gone:
                break
            if at in in_cycle:
                stuck.append(worker)
                break
            owner = following(at)
            if owner is not None and owner in gone:
                abandoned = abandoned or {"lock": rows[at]["waitsFor"], "owner": owner, "waiters": []}
                stuck.append(worker)
                break
            at = owner
    if not stuck:
        return None
    if first_cycle:
        lowest = first_cycle.index(min(first_cycle))
        cycle = first_cycle[lowest:] + first_cycle[:lowest]
        edges = [{"worker": w, "holds": rows[cycle[i - 1]]["waitsFor"], "waitsFor": rows[w]["waitsFor"],
                  "heldBy": cycle[(i + 1) % len(cycle)]} for i, w in enumerate(cycle)]
        return {"kind": "self" if len(cycle) == 1 else "cycle", "cycle": edges, "abandoned": None, "stuck": stuck}
    abandoned["waiters"] = [w for w in stuck
                            if following(w) == abandoned["owner"] and rows[w]["waitsFor"] == abandoned["lock"]]
    return {"kind": "abandoned", "cycle": [], "abandoned": abandoned, "stuck": stuck}


def where_it_waits(thread):
    """The line of lab code a stuck thread is blocked on, from its live frame (sys._current_frames())."""
    frame = sys._current_frames().get(thread.ident)
    if frame is None:
        return None
    lab_frames = [f for f in traceback.extract_stack(frame)
                  if f.filename == __file__ and f.name not in ("acquire", "run", "__enter__")]
    inner = lab_frames[-1] if lab_frames else traceback.extract_stack(frame)[-1]
    code = inner.line.split("  #")[0]  # the statement, without its comment
    return f"{os.path.basename(inner.filename)}:{inner.lineno} in {inner.name}: {code}"


def main():
    p = read_params()
    strategy, workers = p["strategy"], p["workers"]
    table = WaitForTable(workers, workers)
    locks = [TrackedLock(table, n) for n in range(workers)]
    rlock = TrackedRLock(table, 0)
    unlock_errors, errors = {}, {}
    gate = threading.Barrier(workers + 1)  # the start gate: every thread, and the main thread, meet here

    def run(worker):
        current.worker = worker
        gate.wait(timeout=30)
        if strategy in ("opposite-order", "ordered"):
            blocking(p, table, locks, worker)
        elif strategy == "timeout":
            with_timeouts(p, table, locks, worker)
        elif strategy == "double-acquire":
            double_acquire(p, table, locks, worker)
        elif strategy == "reentrant":
            unlock_errors[worker] = reentrant(p, table, rlock, worker)
        elif strategy == "never-released":
            never_released(p, table, locks[0], worker)
        else:
            released_in_finally(p, table, locks[0], worker)

    # An exception that ends a thread: recorded for the report (by default it is only printed to stderr).
    threading.excepthook = lambda hook: errors.__setitem__(
        int(hook.thread.name.split("-")[1]), f"{hook.exc_type.__name__}: {hook.exc_value}")

    spawned = time.perf_counter()
    # daemon: a stuck thread must not keep the interpreter from exiting (a non-daemon one would, for ever)
    threads = [threading.Thread(target=run, args=(w,), name=f"worker-{w}", daemon=True) for w in range(workers)]
    for thread in threads:
        thread.start()
    gate.wait(timeout=30)
    started = time.perf_counter()
    startup_ms = ms_since(spawned)

    watchdog_s = p["watchdogMs"] / 1000
    inspections, found, stuck = 0, None, set()
    detected_ms = None
    next_inspection = started + watchdog_s
    while True:
        for thread in threads:  # join with a timeout: the main thread never waits past the next inspection
            thread.join(timeout=max(0.0, next_inspection - time.perf_counter()))
        alive = {w for w, thread in enumerate(threads) if thread.is_alive()}
        if not alive:
            break
        inspections += 1
        # Who has ended first, the picture second: a thread that had ended wrote its last line before the picture.
        gone = set(range(workers)) - alive
        owners, rows = table.snapshot()
        now = find_deadlock(owners, rows, gone)
        if now:
            if found is None:
                found, detected_ms = now, ms_since(started)
            stuck.update(now["stuck"])
        if alive <= stuck:
            break  # every thread left is stuck for good: nothing more will happen
        next_inspection += watchdog_s
    ended_ms = ms_since(started)

    owners, rows = table.snapshot()
    answer({
        "strategy": strategy,
        "workers": workers,
        "deadlocked": found is not None,
        "kind": found and found["kind"],
        "cycle": found["cycle"] if found else [],
        "abandoned": found and found["abandoned"],
        "acquisitions": sum(row["acquisitions"] for row in rows),
        "releases": sum(row["releases"] for row in rows),
        "detectedBy": "watchdog wait-for table (the main thread, join(timeout=watchdogMs))" if found else None,
        "resolvedBy": None,
        "detectedAfterMs": detected_ms,
        "ms": ended_ms,
        "startupMs": startup_ms,
        "inspections": inspections,
        "stuckThreads": {
            "count": len(stuck),
            "fate": "left running until the interpreter exits: CPython cannot kill a thread, and one blocked in "
                    "acquire() cannot be interrupted; they are daemon threads, and the script ends with os._exit(0)"
                    if stuck else "none",
            "threads": [{"worker": w, "waitsFor": rows[w]["waitsFor"],
                         "heldBy": owners[rows[w]["waitsFor"]] if rows[w]["waitsFor"] is not None else None,
                         "where": where_it_waits(threads[w])} for w in sorted(stuck)],
        },
        "perWorker": [{
            "worker": w,
            "locks": lock_order(strategy, w, workers),
            "acquired": row["acquired"] > 0,
            "attempts": row["attempts"],
            "backoffs": row["backoffs"],
            "acquisitions": row["acquisitions"],
            "releases": row["releases"],
            "unlockError": unlock_errors.get(w),
            "error": errors.get(w),
            "terminated": False,
        } for w, row in enumerate(rows)],
    })
    # Stuck threads would never end; daemon or not, os._exit ends the process without waiting for any of them.
    os._exit(0)


if __name__ == "__main__":
    main()
