"""The executor lab's Python original: concurrent.futures.ThreadPoolExecutor, the same tasks collected three ways.

  map              for result in executor.map(task, range(n)): results in submission order — the first comes when
                   task 0 is done, however quick the others were; the first exception (in that order) ends the
                   loop, and map cancels the tasks that have not started yet
  as-completed     for future in as_completed(futures): future.result() — each outcome as soon as its task ends
  fire-and-forget  executor.submit(task, i), and nobody keeps the Future: a task's exception is stored in its Future
                   and dropped with it. Nothing is raised, nothing is printed: the exception is lost in silence.

The tasks sleep (time.sleep releases the GIL, so the pool's threads do overlap) and every failEvery-th one raises.
Each task counts its own start and its own raise: that is what the caller's count is compared with.
"""
import contextlib
import gc
import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

from lab_io import answer, ms_since, read_params


class TaskFailed(Exception):
    def __init__(self, index):
        super().__init__(f"task {index} failed")
        self.index = index


class Counts:
    """What the tasks themselves counted: how many started, how many raised (under a lock: threads count at once)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.started = 0
        self.raised = 0

    def add(self, what):
        with self.lock:
            setattr(self, what, getattr(self, what) + 1)


def make_task(durations_ms, fails, counts):
    def task(index):
        counts.add("started")
        time.sleep(durations_ms[index] / 1000)
        if fails[index]:
            counts.add("raised")
            raise TaskFailed(index)
        return index
    return task


class Collected:
    """What the caller saw, as it saw it."""

    def __init__(self, submitted):
        self.submitted = submitted
        self.order, self.results, self.seen, self.first_ms = [], 0, 0, None

    def received(self, index, ok):
        if self.first_ms is None:
            self.first_ms = ms_since(self.submitted)
        self.order.append(index)
        if ok:
            self.results += 1
        else:
            self.seen += 1


def run_style(style, p):
    durations, workers = p["durationsMs"], p["workers"]
    n = len(durations)
    fails = [p["failEvery"] > 0 and (i + 1) % p["failEvery"] == 0 for i in range(n)]
    counts = Counts()
    task = make_task(durations, fails, counts)
    all_ms = None
    stderr = io.StringIO()  # whatever CPython says about the tasks' exceptions ends up here
    with contextlib.redirect_stderr(stderr):
        with ThreadPoolExecutor(max_workers=workers) as executor:
            submitted = time.perf_counter()
            collected = Collected(submitted)
            if style == "map":
                try:
                    for result in executor.map(task, range(n)):  # every task is submitted here, at once
                        collected.received(result, True)
                except TaskFailed as error:
                    collected.received(error.index, False)  # the loop is over: the results after it are never seen
                all_ms = ms_since(submitted)
            elif style == "as-completed":
                futures = {executor.submit(task, i): i for i in range(n)}
                for future in as_completed(futures):
                    try:
                        collected.received(future.result(), True)
                    except TaskFailed as error:
                        collected.received(error.index, False)
                all_ms = ms_since(submitted)
            else:
                for i in range(n):
                    executor.submit(task, i)  # the Future is dropped: nobody will ever call result()
        # leaving `with`: executor.shutdown(wait=True) — every task that started has finished
        drained_ms = ms_since(submitted)
        gc.collect()  # the dropped Futures, and their exceptions, are gone now: still nothing is said
    return {
        "style": style,
        "firstResultMs": collected.first_ms,
        "allResultsMs": all_ms,
        "drainedMs": drained_ms,
        "order": collected.order,
        "results": collected.results,
        "exceptionsRaised": counts.raised,
        "exceptionsSeen": collected.seen,
        "exceptionsLost": counts.raised - collected.seen,
        "tasksRun": counts.started,
        "cancelled": n - counts.started,
        "reportedByRuntime": sum(1 for line in stderr.getvalue().splitlines() if "TaskFailed" in line),
    }


def main():
    p = read_params()
    started = time.perf_counter()
    styles = [run_style(style, p) for style in p["styles"]]
    durations = p["durationsMs"]
    answer({
        "workers": p["workers"],
        "tasks": len(durations),
        "durationsMs": durations,
        "failing": [i for i in range(len(durations)) if p["failEvery"] > 0 and (i + 1) % p["failEvery"] == 0],
        "styles": styles,
        "ms": ms_since(started),
    })


if __name__ == "__main__":
    main()
