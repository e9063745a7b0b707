"""Producer/consumer with queue.Queue: four ways to stop the consumers, and what the GIL does to their work.

The lesson:
- sentinel: after the last message, put one sentinel (None) per consumer; each consumer stops at its sentinel.
- join: consumers call task_done() after each message; the main thread's Queue.join() returns once every message
  is handled. The consumers are daemon threads left waiting in get(): they end when the process exits.
- shutdown: Python 3.13's Queue.shutdown(): get() raises queue.ShutDown once the queue is empty.
- seed-event: the seed's code. `while not event.is_set() or not pipeline.empty(): pipeline.get()`, with the event
  set while the producers may still put. Two bugs: (a) a message put after every consumer saw the event and an empty
  queue is never consumed; (b) between empty() and get() another consumer may take the last message, and this one
  waits in get() for a put that never comes (with get(timeout=...) it waits that long). This script makes (a)
  certain: each producer puts its last message only once no consumer can take it except by a put waking a get().
- work per message: "cpu" is pure-Python work, which holds the GIL: more consumers do not make it faster, and
  their CPU time (time.thread_time()) summed stays within the wall time: one core at a time.
  "io" is time.sleep, which releases the GIL: consumers wait in parallel, and more consumers help.

Params on stdin (the lab's): producers, consumers, capacity, messages, work, workUs, stop, getTimeoutMs,
switchIntervalMs, maxMs. The result uses the Node report's field names. Every wait is bounded; threads are daemons
and the script ends with os._exit(0), because Python cannot kill a thread stuck in get().
"""
import os
import queue
import sys
import threading
import time

from lab_io import answer, ms_since, read_params

params = read_params()
PRODUCERS = params["producers"]
CONSUMERS = params["consumers"]
CAPACITY = params["capacity"]
MESSAGES = params["messages"]
WORK = params["work"]
WORK_S = params["workUs"] / 1_000_000
STOP = params["stop"]
GET_TIMEOUT = params["getTimeoutMs"] / 1000 or None  # None: get() with no timeout, as the seed wrote it
MAX_S = params["maxMs"] / 1000
sys.setswitchinterval(params["switchIntervalMs"] / 1000)

is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
base = {
    "producers": PRODUCERS, "consumers": CONSUMERS, "capacity": CAPACITY, "messages": MESSAGES,
    "work": WORK, "workUs": params["workUs"], "stop": STOP, "getTimeoutMs": params["getTimeoutMs"],
    "gil": is_gil_enabled() if is_gil_enabled else True,
    "switchIntervalMs": round(sys.getswitchinterval() * 1000, 6),
    "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),  # no affinity on macOS, Windows
}

if STOP == "shutdown" and not hasattr(queue.Queue, "shutdown"):
    answer({**base, "absent": f"Queue.shutdown() is new in Python 3.13; this is {sys.version.split()[0]}"})
    sys.exit(0)


def work():
    """The consumer's work on one message."""
    if WORK_S == 0:
        return
    if WORK == "io":
        time.sleep(WORK_S)  # releases the GIL while it sleeps
        return
    until = time.perf_counter() + WORK_S
    while time.perf_counter() < until:  # pure-Python work: holds the GIL
        pass


pipeline = queue.Queue(maxsize=CAPACITY)
event = threading.Event()
start = threading.Barrier(PRODUCERS + CONSUMERS + 1)
counts = {("producer", i): 0 for i in range(PRODUCERS)} | {("consumer", i): 0 for i in range(CONSUMERS)}
timeouts = [0] * CONSUMERS
cpu_ms = {}  # (role, index) -> time.thread_time() from the barrier to its return: CPU this thread ran
in_get = [False] * CONSUMERS  # seed-event: a consumer waiting in get() with no timeout
returned = set()
taken = []  # every id taken, by any consumer (list.append is atomic under the GIL)
arrived = [0]
arrived_lock = threading.Lock()


def share(index):
    return range(index * MESSAGES // PRODUCERS, (index + 1) * MESSAGES // PRODUCERS)


def consumers_done():
    """seed-event: every consumer has left its loop, or waits in a get() without timeout that only a put can end."""
    return all(("consumer", c) in returned or (in_get[c] and pipeline.empty()) for c in range(CONSUMERS))


def producer(index):
    start.wait()
    cpu_at_go = time.thread_time()
    ids = share(index)
    if STOP != "seed-event":
        for message in ids:
            pipeline.put(message)
            counts["producer", index] += 1
    else:
        *first, last = ids
        for message in first:
            if event.is_set():
                break
            pipeline.put(message)
            counts["producer", index] += 1
        # The last message is in hand, event.is_set() was False: the moment the seed's main may set the event.
        with arrived_lock:
            arrived[0] += 1
            if arrived[0] == PRODUCERS:
                event.set()
        event.wait(MAX_S)
        deadline = time.perf_counter() + MAX_S
        while not consumers_done() and time.perf_counter() < deadline:
            time.sleep(0.001)
        pipeline.put(last)  # after the event: nobody is left to take it, or a consumer stuck in get() does
        counts["producer", index] += 1
    cpu_ms["producer", index] = round((time.thread_time() - cpu_at_go) * 1000, 3)
    returned.add(("producer", index))


def consume(index, message):
    taken.append(message)
    counts["consumer", index] += 1
    work()


def consumer(index):
    start.wait()
    cpu_at_go = time.thread_time()  # this thread's CPU clock: waits for the GIL or a core do not count
    if STOP == "sentinel":
        while (message := pipeline.get()) is not None:
            consume(index, message)
    elif STOP == "shutdown":
        while True:
            try:
                message = pipeline.get()
            except queue.ShutDown:
                break
            consume(index, message)
    elif STOP == "join":
        while True:  # a daemon: it never leaves; Queue.join() in the main thread is the end
            consume(index, pipeline.get())
            pipeline.task_done()
    else:  # seed-event: the seed's loop
        while not event.is_set() or not pipeline.empty():
            in_get[index] = GET_TIMEOUT is None
            try:
                message = pipeline.get(timeout=GET_TIMEOUT)
            except queue.Empty:
                timeouts[index] += 1
                continue
            finally:
                in_get[index] = False
            consume(index, message)
    cpu_ms["consumer", index] = round((time.thread_time() - cpu_at_go) * 1000, 3)
    returned.add(("consumer", index))


producers = [threading.Thread(target=producer, args=(i,), daemon=True) for i in range(PRODUCERS)]
consumers = [threading.Thread(target=consumer, args=(i,), daemon=True) for i in range(CONSUMERS)]
spawned = time.perf_counter()
for thread in producers + consumers:
    thread.start()
start.wait()
startup_ms = ms_since(spawned)
went = time.perf_counter()
deadline = went + MAX_S

def progress():
    return (len(taken), sum(counts.values()), pipeline.qsize())


def wait_until(done, stuck):
    """Until done(), or stuck() held for 20 ms with nothing moving (those threads wait for good), or maxMs."""
    while time.perf_counter() < deadline and not done():
        if stuck():
            before = progress()
            time.sleep(0.02)
            if stuck() and progress() == before:
                return
        time.sleep(0.001)


def alive(threads):
    return any(t.is_alive() for t in threads)


# A producer can wait for good only in put() on a full queue with no consumer left (seed-event).
wait_until(lambda: not alive(producers), lambda: pipeline.full() and not alive(consumers))
if STOP == "sentinel":
    for _ in consumers:
        pipeline.put(None, timeout=MAX_S)  # one per consumer
elif STOP == "shutdown":
    pipeline.shutdown()
if STOP == "join":
    joiner = threading.Thread(target=pipeline.join, daemon=True)  # Queue.join(), bounded by maxMs
    joiner.start()
    joiner.join(max(0, deadline - time.perf_counter()))
else:
    # A consumer can wait for good only in get() on an empty queue with no producer left.
    wait_until(lambda: not alive(consumers), lambda: pipeline.empty() and not alive(producers))
ms = ms_since(went)

distinct = len(set(taken))
produced = sum(counts["producer", i] for i in range(PRODUCERS))
consumed = sum(counts["consumer", i] for i in range(CONSUMERS))


def ended(role, index):
    if (role, index) in returned:
        return "returned"
    return "daemon" if STOP == "join" and role == "consumer" else "stuck"


workers = [{"role": role, "index": index, "count": counts[role, index],
            "timeouts": timeouts[index] if role == "consumer" else 0, "ended": ended(role, index),
            "cpuMs": cpu_ms.get((role, index))}  # None: it never returned (a daemon, or stuck)
           for role, index in counts]
consumer_cpu = [w["cpuMs"] for w in workers if w["role"] == "consumer"]
stuck = sum(w["ended"] == "stuck" for w in workers if w["role"] == "consumer")
stuck_producers = sum(w["ended"] == "stuck" for w in workers if w["role"] == "producer")
answer({
    **base,
    "produced": produced, "consumed": consumed, "lost": produced - distinct, "duplicates": len(taken) - distinct,
    "leftInQueue": pipeline.qsize(), "stuck": stuck, "stuckProducers": stuck_producers, "timeouts": sum(timeouts),
    "verified": produced == consumed == distinct == MESSAGES and stuck == 0 and stuck_producers == 0 and pipeline.qsize() == 0,
    "consumerCpuMs": None if None in consumer_cpu else round(sum(consumer_cpu), 3),
    "ms": ms, "startupMs": startup_ms, "messagesPerSecond": round(consumed / (ms / 1000), 1) if ms > 0 else 0,
    "workers": workers,
})
os._exit(0)  # daemon threads may still wait in get(): Python cannot kill them, the process exit does
