"""What a pending threading.Timer does to the end of the process.

The lesson: a Timer is a thread, non-daemon by default. When main returns, the interpreter joins it -- so a pending
non-daemon Timer keeps the process alive until it has fired, and a timer re-armed in its own callback (the seed's
repeating timer: each fire starts the next Timer) keeps it alive for every fire. A daemon Timer
(`t.daemon = True` before `start()`) is dropped at exit: it never fires. SIGTERM's default action kills the
process with its timers pending: nothing fires.

One run (params: {"mode": "non-daemon" | "daemon" | "re-arming" | "sigterm", "delayMs": 300, "intervalMs": 100,
"count": 3}) starts this script again as a child, whose main starts the timer and returns at once (sigterm: waits
for the signal); the parent answers when each fire came and when the process exited, in ms from the timer's start.
Every wait on the child is bounded (lab_io.Child): past the timer's last fire plus CHILD_SLACK_S it is killed.

With "mode": "run" (what POST /timers with cpython: true runs) it is the timers lab itself: the seed's timer,
re-armed in its callback `intervalMs` after each fire, `count` fires, and how late each fire came after it was due --
the same figures as the Node timer's view (fires, maxLateMs), plus each fire's time and the gaps between them.
"""
import signal
import sys
import threading
import time

from lab_io import Child, answer, exit_on_sigterm, int_param, read_params

MODES = ("non-daemon", "daemon", "re-arming", "sigterm")


def run(delay_ms, interval_ms, count):
    """The lab's timer on threading.Timer: each fire re-arms the next, as the seed did."""
    created = time.perf_counter()
    fired_at = []
    late = []
    finished = threading.Event()

    def arm(ms):
        due = time.perf_counter() + ms / 1000
        timer = threading.Timer(ms / 1000, fire, args=(due,))
        timer.daemon = True  # a stuck run must not hold the process (it is bounded below)
        timer.start()

    def fire(due):
        now = time.perf_counter()
        late.append(max(0.0, (now - due) * 1000))
        fired_at.append(round((now - created) * 1000, 3))
        if len(fired_at) < count:
            arm(interval_ms)
        else:
            finished.set()

    arm(delay_ms)
    finished.wait(timeout=(delay_ms + interval_ms * (count - 1)) / 1000 + 10)
    return {
        "fires": len(fired_at),
        "count": count,
        "delayMs": delay_ms,
        "intervalMs": interval_ms if count > 1 else None,
        "maxLateMs": round(max(late, default=0.0), 3),
        "firedAtMs": fired_at,
        "gapsMs": [round(b - a, 3) for a, b in zip(fired_at, fired_at[1:])],
        "createdToLastFireMs": fired_at[-1] if fired_at else None,
    }


CHILD_SLACK_S = 10  # the child's start-up and exit, beyond its timer's last fire
MAX_DELAY_MS = 60_000  # a by-hand run of the exit modes: at most a minute per fire
MAX_COUNT = 100


def child(mode, delay_ms, interval_ms, count):
    started = time.perf_counter()
    fires = 0

    def fire():
        nonlocal fires
        fires += 1
        print(f"fired {round((time.perf_counter() - started) * 1000, 3)}", flush=True)
        if mode == "re-arming" and fires < count:
            arm(interval_ms)  # the seed's re-arm: a new Timer from inside the callback

    def arm(ms):
        timer = threading.Timer(ms / 1000, fire)
        timer.daemon = mode == "daemon"  # before start(): after it, RuntimeError
        timer.start()

    arm(delay_ms)
    print("ready", flush=True)
    if mode == "sigterm":
        time.sleep(delay_ms / 1000 + CHILD_SLACK_S)  # the parent's SIGTERM comes before the timer is due
    # main returns here: the interpreter joins the non-daemon timer threads, and drops the daemon ones


def parent(params):
    mode = params.get("mode", "non-daemon")
    if mode == "run":
        return answer(run(int(params.get("delayMs", 0)), int(params.get("intervalMs") or 0), int(params.get("count", 1))))
    if mode not in MODES:
        raise SystemExit(f"mode must be one of {', '.join(MODES)} (got {mode!r})")
    delay_ms = int_param(params, "delayMs", 300, 0, MAX_DELAY_MS)
    interval_ms = int_param(params, "intervalMs", 100, 1, MAX_DELAY_MS)
    count = int_param(params, "count", 3, 1, MAX_COUNT) if mode == "re-arming" else 1
    last_fire_s = (delay_ms + interval_ms * (count - 1)) / 1000
    exit_on_sigterm()  # the child is killed on the way out (Child's with block)
    with Child(__file__, [mode, delay_ms, interval_ms, count], timeout_s=last_fire_s + CHILD_SLACK_S) as child_proc:
        lines = [child_proc.read_line()]
        while lines[-1].startswith("fired "):  # delayMs 0: the timer may fire before main says it is ready
            lines.append(child_proc.read_line())
        started = time.perf_counter()
        if mode == "sigterm":
            time.sleep(delay_ms / 4000)  # well before the timer is due
            child_proc.send_signal(signal.SIGTERM)
        out, _, status = child_proc.finish()
    exit_ms = round((time.perf_counter() - started) * 1000, 3)
    fired_at = [float(line.split()[1]) for line in [*lines, *out.splitlines()] if line.startswith("fired ")]
    answer({
        "mode": mode,
        "ready": lines[-1] == "ready",
        "delayMs": delay_ms,
        "intervalMs": interval_ms if mode == "re-arming" else None,
        "count": count,
        "fires": len(fired_at),
        # ms from the timer's start in the child
        "firedAtMs": fired_at,
        # ms from the child's "ready" (its main returning, or the signal's moment for sigterm) to its exit
        "exitMs": exit_ms,
        **status,
        # the child did not exit by itself before the deadline: it was killed
        "killed": child_proc.killed,
    })


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        parent(read_params())
