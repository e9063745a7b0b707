"""What CPython does with its threads when the process ends: at the end of main, on Ctrl-C, on SIGTERM.

The lesson: a daemon thread is stopped wherever it is when the interpreter exits -- its `finally` blocks and
`with` blocks do not run, so what it was writing stays on disk. A non-daemon thread is joined first (with no time
limit) and its `finally` runs. SIGINT is only an exception in the main thread (KeyboardInterrupt): the interpreter
then shuts down as at the end of main and still joins the non-daemon threads -- a second Ctrl-C interrupts that
join. SIGTERM's default action kills the process at once: no `finally`, no `atexit`, nothing joined.

One run (params: {"mode": "normal" | "sigint" | "sigint-twice" | "sigterm", "nonDaemonMs": 600}) starts this
script again as a child, which runs
  - a daemon thread: mkdtemp(), writes a file in it, works on "forever"; `finally: rmtree(dir)` + a marker file;
  - a daemon thread inside `with tempfile.TemporaryDirectory():` (its dir has its own finalizer: see the answer);
  - a non-daemon thread that works for nonDaemonMs, then ends; `finally:` a marker file;
  - an atexit handler that writes a marker file.
The parent sends the signal (none for "normal": main just returns), waits for the child to exit (bounded: past
nonDaemonMs + CHILD_SLACK_S it is killed, and the answer's "killed" says so), and answers which markers and
directories exist afterwards. Its own temp dir goes on every way out of the parent (SIGTERM included; SIGKILL aside).
"""
import atexit
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

from lab_io import Child, answer, exit_on_sigterm, int_param, ms_since, read_params

MODES = ("normal", "sigint", "sigint-twice", "sigterm")
CHILD_SLACK_S = 10  # the child's start-up, and its wait for the parent's signal, beyond nonDaemonMs
READY_TIMEOUT_S = 5  # for the daemon threads to have made their dirs
MAX_NON_DAEMON_MS = 60_000


def child(mode, base, non_daemon_ms):
    # "Forever" for the daemon threads is until the parent would kill this child anyway: no loop here is unbounded.
    give_up = time.monotonic() + non_daemon_ms / 1000 + CHILD_SLACK_S

    def mark(name):
        with open(os.path.join(base, name), "w") as marker:
            marker.write("ran\n")

    def daemon_worker():
        work_dir = tempfile.mkdtemp(prefix="daemon-mkdtemp-", dir=base)
        try:
            with open(os.path.join(work_dir, "task-0.bin"), "wb") as out:
                out.write(b"x" * 65536)
            while time.monotonic() < give_up:  # "forever": only the end of the interpreter stops it
                time.sleep(0.01)
        finally:
            shutil.rmtree(work_dir)
            mark("daemon-finally")

    def daemon_with_worker():
        with tempfile.TemporaryDirectory(prefix="daemon-tempdir-", dir=base) as work_dir:
            with open(os.path.join(work_dir, "task-0.bin"), "wb") as out:
                out.write(b"x" * 65536)
            while time.monotonic() < give_up:
                time.sleep(0.01)

    def non_daemon_worker():
        try:
            deadline = time.monotonic() + non_daemon_ms / 1000
            while time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            mark("nondaemon-finally")

    atexit.register(mark, "atexit")
    threads = [
        threading.Thread(target=daemon_worker, daemon=True),
        threading.Thread(target=daemon_with_worker, daemon=True),
        threading.Thread(target=non_daemon_worker),  # daemon=False, the default
    ]
    for thread in threads:
        thread.start()
    ready_by = time.monotonic() + READY_TIMEOUT_S
    while len([name for name in os.listdir(base) if name.startswith("daemon-")]) < 2:
        if time.monotonic() > ready_by:
            print("not ready: the daemon threads made no dirs", flush=True)
            os._exit(3)
        time.sleep(0.005)
    time.sleep(0.05)  # the daemon threads have written their files
    print("ready", flush=True)
    if mode == "normal":
        return  # the end of main: the interpreter shuts down now
    time.sleep(max(0.0, give_up - time.monotonic()))  # wait for the parent's signal (KeyboardInterrupt ends this sleep)


def left_dirs(base, prefix):
    found = []
    for name in sorted(os.listdir(base)):
        if name.startswith(prefix):
            found.append({"name": name, "files": sorted(os.listdir(os.path.join(base, name)))})
    return found


def parent(params):
    mode = params.get("mode", "normal")
    if mode not in MODES:
        raise SystemExit(f"mode must be one of {', '.join(MODES)} (got {mode!r})")
    non_daemon_ms = int_param(params, "nonDaemonMs", 600, 0, MAX_NON_DAEMON_MS)
    exit_on_sigterm()  # so that the finally below removes the temp dir on SIGTERM too
    base = tempfile.mkdtemp(prefix="conclab-daemon-exit-")
    try:
        # The with block ends the child on every way out, before its dir is removed under it.
        with Child(__file__, [mode, base, non_daemon_ms], timeout_s=non_daemon_ms / 1000 + CHILD_SLACK_S) as child_proc:
            ready = child_proc.read_line().strip()
            started = time.perf_counter()
            if mode in ("sigint", "sigint-twice"):
                child_proc.send_signal(signal.SIGINT)
            if mode == "sigint-twice":
                time.sleep(min(0.2, non_daemon_ms / 4000))  # the first Ctrl-C has reached the join by now
                child_proc.send_signal(signal.SIGINT)
            if mode == "sigterm":
                child_proc.send_signal(signal.SIGTERM)
            _, stderr, status = child_proc.finish()
        exit_ms = ms_since(started)
        markers = {name: os.path.exists(os.path.join(base, name)) for name in ("daemon-finally", "nondaemon-finally", "atexit")}
        answer({
            "mode": mode,
            "ready": ready == "ready",
            "nonDaemonMs": non_daemon_ms,
            # the run's temp dir: removed by the time this is read
            "base": base,
            # ms from the signal (or, for "normal", from the end of main) to the process's exit
            "exitMs": exit_ms,
            **status,
            # the child did not exit by itself before the deadline: it was killed
            "killed": child_proc.killed,
            "daemonFinallyRan": markers["daemon-finally"],
            "nonDaemonFinallyRan": markers["nondaemon-finally"],
            "atexitRan": markers["atexit"],
            # the daemon thread's mkdtemp() dir (its finally would have removed it)
            "daemonDirLeft": left_dirs(base, "daemon-mkdtemp-"),
            # the TemporaryDirectory's dir: its weakref.finalize runs at exit (an atexit hook), even though the
            # `with` block's __exit__ never ran -- unless the process is killed
            "temporaryDirectoryLeft": left_dirs(base, "daemon-tempdir-"),
            "stderrLastLine": (stderr.strip().splitlines() or [""])[-1][:200],
        })
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        parent(read_params())
