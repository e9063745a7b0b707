"""The GIL lab's original: what CPython's global interpreter lock does to threads, measured.

The lessons, as CPython with the GIL runs them (3.2+'s "new GIL"):

- hold: a thread runs Python code only while it holds the GIL. A thread that wants it waits one switch interval
  (sys.getswitchinterval(), 5 ms) and, if no switch happened meanwhile, asks the holder to drop it; the holder
  drops it at its next eval-breaker check and waits until the other has taken it. So a CPU-bound thread holds
  the GIL about one interval at a time, however many threads want it.
- convoy: an I/O thread drops the GIL while it waits (time.sleep, recv); when its I/O is done it must take the GIL
  back, and beside a CPU-bound thread that costs about one interval. Every round trip pays it.
- speedup: N threads of pure-Python CPU work take N times as long as one: no gain.
- release: C code that releases the GIL runs beside Python threads. hashlib.sha256 releases it for inputs of
  2 KiB and more (HASHLIB_GIL_MINSIZE): a counter thread keeps its pace meanwhile. C code that keeps the GIL
  (sum over a range, bytes.count, hashlib below 2 KiB) stops every other thread for as long as it runs.

How each figure is measured here (the Node emulation reads its lock's turn count; Python cannot see the GIL):

- hold: every thread spins, reading the clock and then checking a shared `owner` at each iteration. Only the
  GIL holder runs Python code, so while `owner` still names this thread no other thread has run since its last
  check: the reading belongs to this thread's current turn. When `owner` names another thread, this one's turn
  ended (at its last such reading) and a new one begins; it takes ownership. A hold is one turn: its owner's first
  to last clock reading in it (each thread times its own turns; the turn a thread's deadline ends is no hand-over
  and is left out). The reading just before a switch is not used: perf_counter() is a C call, and the eval loop
  may switch threads as it returns (3.10+ switches at a loop's backward jump, a Python function's entry and a C
  call's return), so that reading may have been taken before the switch or after it.
- convoy: the I/O thread times `t0 = perf_counter(); time.sleep(ioMs); t1 = perf_counter()`: it holds the GIL at
  t0 and again at t1, so t1 - t0 is the I/O plus the wait to take the GIL back. Alone, then beside a thread
  spinning in a pure-Python loop.
- speedup: a `for` loop of `x += 1`, its length calibrated to last speedup.ms on one thread, then run by N
  threads at once; speedup = N x one thread's time / the N threads' span, the faster of two runs each.
- release: a counter thread adds 1 in a loop; the main thread sleeps (alone), calls hashlib.sha256 on `bytes`
  bytes until release.ms passed (released), runs sum(range(n)) sized to last about as long (held: one C call that
  keeps the GIL), and spins in a Python loop (pure), two rounds of the four. counterShare = the counter's pace in
  a phase / its pace alone.

Params on stdin (the Node lab's body): switchIntervalMs, hold {threads, ms}, convoy {ioMs, rounds},
speedup {threads, ms}, release {bytes, ms}, and maxMs (LAB_MAX_MS: every wait ends by then; past it the script
fails with a TimeoutError instead of waiting on). The result uses the Node report's field names.
"""
import hashlib
import os
import sys
import threading
import time

from lab_io import answer, read_params

perf = time.perf_counter
# The whole run's end, maxMs after its start (main sets both): every wait is bounded by it. The service kills the
# process past LAB_MAX_MS anyway; run by hand, a thread that never finishes must not keep the script waiting.
max_ms = 60_000
deadline = perf() + max_ms / 1000
RELEASE_REPEATS = 2  # as the Node lab (src/labs/gil.ts)
SPEEDUP_REPEATS = 2


def ms(seconds):
    return round(seconds * 1000, 3)


def left_s():
    """Seconds until the run's deadline (maxMs): what every wait may take."""
    return max(0.0, deadline - perf())


def join(thread):
    thread.join(left_s())
    if thread.is_alive():
        raise TimeoutError("a thread did not finish within maxMs (%d ms, LAB_MAX_MS)" % max_ms)


def run_threads(targets):
    """Starts one daemon thread per target, all released together by an Event; joins them by the deadline."""
    go = threading.Event()
    threads = [threading.Thread(target=lambda t=t: (go.wait(left_s()), t()), daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        join(thread)


# --- hold -------------------------------------------------------------------------------------------------------

owner = None  # the thread that checked last: while it names me, no other thread has run since my last check


def hold(n, hold_ms):
    global owner
    owner = None
    spans = []
    holds = []  # ms, every thread's turns that ended in a hand-over

    def spin(me):
        global owner
        first = last = None  # this thread's first and last clock reading in its current turn
        started = perf()
        until = started + hold_ms / 1000
        while True:
            now = perf()  # a C call: the eval loop may switch threads as it returns, so `now` is checked first
            if owner is me:  # no other thread ran since this one's last check: `now` is in this turn
                if first is None:
                    first = now
                last = now
            else:  # another thread ran since: this thread's last turn ended at `last`; `now` may be before the switch
                if first is not None:
                    holds.append((last - first) * 1000)
                owner = me
                first = last = None
            if now >= until:
                spans.append((started, now))
                return

    run_threads([lambda me=me: spin(me) for me in range(n)])
    holds.sort()
    span = max(end for _, end in spans) - min(start for start, _ in spans) if spans else 0.0
    return {
        "threads": n, "ms": ms(span), "switches": len(holds),
        "meanHoldMs": round(sum(holds) / len(holds), 3) if holds else None,
        "medianHoldMs": round(holds[(len(holds) - 1) // 2], 3) if holds else None,
    }


# --- convoy -----------------------------------------------------------------------------------------------------

stop = False


def spin_until_stopped():
    x = 0
    while not stop:
        x += 1


def io_rounds(rounds, io_ms, latencies):
    for _ in range(rounds):
        started = perf()
        time.sleep(io_ms / 1000)  # drops the GIL while it waits, as recv() does
        latencies.append((perf() - started) * 1000)


def summary(values):
    ordered = sorted(values)
    at = lambda p: ordered[min(len(ordered) - 1, max(0, -(-p * len(ordered) // 100) - 1))]  # noqa: E731
    return {"mean": round(sum(ordered) / len(ordered), 3), "p50": round(at(50), 3), "p99": round(at(99), 3), "max": round(ordered[-1], 3)}


def convoy(io_ms, rounds):
    global stop
    alone = []
    run_threads([lambda: io_rounds(rounds, io_ms, alone)])
    beside = []
    stop = False

    def io_then_stop():
        global stop
        io_rounds(rounds, io_ms, beside)
        stop = True

    run_threads([io_then_stop, spin_until_stopped])
    alone_ms, beside_ms = summary(alone), summary(beside)
    return {"ioMs": io_ms, "rounds": rounds, "alone": alone_ms, "besideCpu": beside_ms, "addedMs": round(beside_ms["p50"] - alone_ms["p50"], 3)}


# --- speedup ----------------------------------------------------------------------------------------------------

def work(iterations):
    x = 0
    for _ in range(iterations):
        x += 1
    return x


def calibrate(loop, target_s):
    """How many iterations of loop(n) last about target_s on one thread."""
    n = 10_000
    while True:
        started = perf()
        loop(n)
        took = perf() - started
        if took >= target_s / 4:
            return max(1, int(n * target_s / took))
        n *= 4


def speedup(n, work_ms):
    iterations = calibrate(work, work_ms / 1000)

    def timed(spans):
        started = perf()
        work(iterations)
        spans.append((started, perf()))

    def span_of(threads):
        spans = []
        run_threads([lambda: timed(spans) for _ in range(threads)])
        return max(end for _, end in spans) - min(start for start, _ in spans)

    # Each run twice, in turn; the faster counts (another process's load only ever adds time).
    ones, everys = [], []
    for _ in range(SPEEDUP_REPEATS):
        ones.append(span_of(1))
        everys.append(span_of(n))
    one, every = min(ones), min(everys)
    return {"threads": n, "oneThreadMs": ms(one), "allThreadsMs": ms(every), "speedup": round(n * one / every, 3)}


# --- release ----------------------------------------------------------------------------------------------------

count = 0


def counter():
    global count
    while not stop:
        count += 1


def release(size, phase_ms, repeats):
    global stop
    data = bytes([7]) * size
    phase_s = phase_ms / 1000
    held_n = calibrate(lambda n: sum(range(n)), phase_s)
    meaning = {
        "alone": "time.sleep: the counter's own pace",
        "released": "hashlib.sha256(data).digest(), %d bytes a call: it drops the GIL for inputs >= 2 KiB" % size,
        "held": "sum(range(%d)): one C call that keeps the GIL (as hashlib below 2 KiB, bytes.count)" % held_n,
        "pure": "a pure-Python loop: it hands the GIL over every switch interval",
    }

    def sleep_phase():
        time.sleep(phase_s)
        return 0

    def released_phase():
        calls = 0
        until = perf() + phase_s
        while True:
            hashlib.sha256(data).digest()
            calls += 1
            if perf() >= until:
                return calls

    def held_phase():
        sum(range(held_n))
        return 1

    def pure_phase():
        until = perf() + phase_s
        x = 0
        while perf() < until:
            x += 1
        return 0

    stop = False
    thread = threading.Thread(target=counter, daemon=True)
    thread.start()
    time.sleep(0.01)  # the counter is running before the first phase
    # The four phases in turn, `repeats` rounds of them: a change in the machine's load falls on every phase alike.
    # This thread reads the clock and the counter holding the GIL, as the Node hasher does.
    edges = {name: {"phase": name, "ms": 0.0, "counted": 0, "calls": 0} for name in ("alone", "released", "held", "pure")}
    for _ in range(repeats):
        for phase, body in (("alone", sleep_phase), ("released", released_phase), ("held", held_phase), ("pure", pure_phase)):
            before = count
            started = perf()
            calls = body()
            edge = edges[phase]
            edge["ms"] += perf() - started
            edge["counted"] += count - before
            edge["calls"] += calls
    edges = list(edges.values())
    stop = True
    join(thread)
    alone = edges[0]["counted"] / max(edges[0]["ms"], 1e-9)
    phases = [{
        "phase": edge["phase"],
        "what": meaning[edge["phase"]],
        "ms": ms(edge["ms"]),
        "calls": edge["calls"] if edge["phase"] == "released" else 0,
        "counterIterations": edge["counted"],
        "counterShare": round(edge["counted"] / max(edge["ms"], 1e-9) / alone, 3) if alone > 0 else 0,
    } for edge in edges]
    return {"bytes": size, "repeats": repeats, "phases": phases}


def main():
    global deadline, max_ms
    params = read_params()
    max_ms = params.get("maxMs", max_ms)
    deadline = perf() + max_ms / 1000
    interval = params["switchIntervalMs"]
    sys.setswitchinterval(interval / 1000)
    result = {
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "switchIntervalMs": interval,
        "hold": [hold(n, params["hold"]["ms"]) for n in params["hold"]["threads"]],
        "convoy": convoy(params["convoy"]["ioMs"], params["convoy"]["rounds"]),
        "speedup": speedup(params["speedup"]["threads"], params["speedup"]["ms"]),
        "release": release(params["release"]["bytes"], params["release"]["ms"], RELEASE_REPEATS),
        "method": {
            "hold": "each spinning thread reads the clock, then checks a shared owner variable: while it names this thread, the reading is in this thread's turn; a hold is a turn, its first to last reading",
            "convoy": "t0 = perf_counter(); time.sleep(ioMs); t1 = perf_counter() in the I/O thread: t1 - t0 = the I/O + taking the GIL back",
            "speedup": "a for loop of x += 1 calibrated to speedup.ms on one thread, then run by N threads at once",
            "release": "a counter thread's additions during time.sleep, hashlib.sha256 calls, one sum(range(n)) call and a Python loop, each about release.ms",
        },
    }
    answer(result)
    os._exit(0)  # a daemon thread left spinning (a join that timed out) must not keep the process


if __name__ == "__main__":
    try:
        main()
    except TimeoutError as error:  # daemon threads may still spin: exit without waiting for them
        print("TimeoutError: %s" % error, file=sys.stderr, flush=True)
        os._exit(1)
