"""The compare experiment's Python original: threading vs multiprocessing on CPython, measured as the Node run is.

Two lessons the Node compare cannot show by itself:

  start-up   two threading.Threads start and join in tens of microseconds (they share one interpreter); a
             process pool costs what its start method costs: "fork" copies the parent (cheap on Linux), "spawn"
             starts a fresh interpreter that imports everything again (what Node's child_process.fork() is),
             "forkserver" forks children from a clean server process (3.14's default on Linux).
  the data   a ThreadPoolExecutor hands a task its argument by reference; a ProcessPoolExecutor pickles it in the
             parent, pushes it through a pipe and unpickles it in the child. With 1 MiB per task that costs about as
             much as hashing it. input "seeded" lets each child make its own copy of the data instead (as the Node
             run's children do), "shipped" sends it with every task (as the Node run's input "shipped" does).

The hash tasks are the Node workload's: rounds chained hashes over `bytes` of data (digest = H(digest || data)),
each task starting from its own 16-byte header. The data is made with hashlib (the standard library has no AES), so
the digests differ from Node's; the work per task is the same. hashlib releases the GIL for an update of 2 KiB or
more, so these threads run in parallel: the Node run's releaseGil: true, not its default.

Every wait is bounded: pool.map gets the time left (maxMs), a pool past it is shut down without waiting, and the
script ends with os._exit after printing its answer (a stuck child must not keep it alive).
"""
import hashlib
import multiprocessing
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout  # TimeoutError itself only from 3.11

from lab_io import answer, ms_since, read_params

ALGORITHMS = {"sha256": "sha256", "sha512": "sha512", "sha1": "sha1", "md5": "md5", "sha3-256": "sha3_256", "blake2b512": "blake2b"}
START_METHODS = ("fork", "forkserver", "spawn")

# What a pool worker hashes when the data is not shipped: made once per process by the initializer.
_local = {}


def make_data(seed, size):
    """`size` bytes from a sha256 counter stream keyed by the seed: the same in every process, made without AES."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"concurrency-lab:{seed}:{counter}".encode()).digest() * 1024
        counter += 1
    return bytes(out[:size])


def keep_local_data(seed, size):
    _local["data"] = make_data(seed, size)


def hash_task(algorithm, rounds, seed, index, data):
    digest = seed.to_bytes(8, "little") + index.to_bytes(8, "little")
    for _ in range(rounds):
        h = hashlib.new(algorithm)
        h.update(digest)
        h.update(data)  # >= 2 KiB: hashlib drops the GIL here
        digest = h.digest()
    return digest.hex()


def shipped_task(job, index, data):
    algorithm, rounds, seed = job
    return hash_task(algorithm, rounds, seed, index, data)


def seeded_task(job, index):
    algorithm, rounds, seed = job
    return hash_task(algorithm, rounds, seed, index, _local["data"])


def noop(_):
    return None


def whoami(_):
    """Which worker ran it, after a pause long enough for the pool's other workers to take the other tasks."""
    time.sleep(0.005)
    return (os.getpid(), threading.get_ident())


def every_worker_up(pool, workers, deadline):
    """Until every one of the pool's workers has run a task (a process pool starts spawn workers on demand, and one
    still importing would otherwise join the measured run late). Bounded by the deadline: TimeoutError past it."""
    seen = set()
    while len(seen) < workers:
        left = deadline - time.perf_counter()
        if left <= 0:
            raise TimeoutError("past maxMs")
        seen.update(pool.map(whoami, range(2 * workers), timeout=left))


def thread_startup(workers):
    """workers threading.Threads started and joined: what a threads-mode job's start-up and join cost Python."""
    started = time.perf_counter()
    threads = [threading.Thread(target=noop, args=(0,)) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    return ms_since(started)


def close(pool, finished):
    """Joins a pool that finished its work; kills the workers of one that did not (past maxMs), without waiting."""
    if finished:
        pool.shutdown(wait=True)
        return
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.kill()


def pool_startup(method, workers, deadline):
    """A process pool of `workers` until its first map of one no-op per worker returned (the issue's measure: start
    + first map; a spawn pool may still be starting a worker it did not need for that map)."""
    started = time.perf_counter()
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
    finished = False
    try:
        list(pool.map(noop, range(workers), timeout=max(deadline - time.perf_counter(), 0.1)))
        finished = True
        return ms_since(started)
    finally:
        close(pool, finished)


def hash_run(executor, workers, params, deadline):
    """The job's tasks through one executor: wall time from the first submit to the last result, start-up apart."""
    tasks, size, seed = params["tasks"], params["bytes"], params["seed"]
    job = (ALGORITHMS[params["algorithm"]], params["rounds"], seed)
    shipped = params["input"] == "shipped"
    data = make_data(seed, size)
    started = time.perf_counter()
    finished = False
    if executor == "ThreadPoolExecutor":
        pool = ThreadPoolExecutor(workers)
    else:
        # spawn: a fresh interpreter per worker, as Node's child_process.fork() starts a fresh runtime.
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=None if shipped else keep_local_data, initargs=() if shipped else (seed, size))
    try:
        every_worker_up(pool, workers, deadline)
        startup_ms = ms_since(started)
        run_started = time.perf_counter()
        left = max(deadline - time.perf_counter(), 0.1)
        # chunksize 2: a 1 MiB task's dispatch then carries 2 MiB, as the Node run's batch auto does for shipped input.
        if executor == "ThreadPoolExecutor" or shipped:
            results = list(pool.map(shipped_task, [job] * tasks, range(tasks), [data] * tasks, timeout=left, **chunks(executor)))
        else:
            results = list(pool.map(seeded_task, [job] * tasks, range(tasks), timeout=left, **chunks(executor)))
        wall_ms = ms_since(run_started)
        finished = True
        return {"executor": executor, "startMethod": None if executor == "ThreadPoolExecutor" else "spawn", "workers": workers,
                # a thread gets the very object (nothing copied); a process the pickled bytes, or its own copy
                "input": "reference" if executor == "ThreadPoolExecutor" else params["input"], "startupMs": startup_ms,
                "wallMs": wall_ms, "tasksPerSec": round(tasks / (wall_ms / 1000), 1) if wall_ms > 0 else None,
                "firstResults": results[:3]}
    finally:
        close(pool, finished)


def chunks(executor):
    return {} if executor == "ThreadPoolExecutor" else {"chunksize": 2}


def main():
    params = read_params()
    started = time.perf_counter()
    deadline = started + params["maxMs"] / 1000 * 0.9
    levels = params["concurrency"]
    startup = {"threads": [], "processes": []}
    for workers in levels:
        runs = [thread_startup(workers) for _ in range(5)]
        startup["threads"].append({"workers": workers, "minMs": min(runs), "medianMs": statistics.median(runs)})
    absent = []
    for method in START_METHODS:
        if method not in multiprocessing.get_all_start_methods():
            absent.append({"what": f"start method {method}", "reason": "not available on this platform"})
            continue
        for workers in levels:
            if time.perf_counter() > deadline:
                absent.append({"what": f"{method} start-up at {workers}", "reason": "past maxMs"})
                continue
            try:
                startup["processes"].append({"startMethod": method, "workers": workers, "ms": pool_startup(method, workers, deadline)})
            except (TimeoutError, FuturesTimeout):
                absent.append({"what": f"{method} start-up at {workers}", "reason": "past maxMs: its pool was shut down"})
    hash_rows = []
    if params["workload"] != "hash":
        absent.append({"what": "hash tasks", "reason": f"the Python original runs the hash workload only (this compare ran {params['workload']})"})
    else:
        for executor in ("ThreadPoolExecutor", "ProcessPoolExecutor"):
            for workers in levels:
                if time.perf_counter() > deadline:
                    absent.append({"what": f"{executor} at {workers}", "reason": "past maxMs"})
                    continue
                try:
                    hash_rows.append(hash_run(executor, workers, params, deadline))
                except (TimeoutError, FuturesTimeout):
                    absent.append({"what": f"{executor} at {workers}", "reason": "past maxMs: its pool was shut down"})
    answer({
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "defaultStartMethod": multiprocessing.get_start_method(),
        "startup": startup,
        "hash": hash_rows,
        "absent": absent,
        "totalMs": ms_since(started),
    })


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    for child in multiprocessing.active_children():  # none unless a pool was abandoned past maxMs
        child.kill()
    os._exit(0)
