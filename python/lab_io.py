"""The protocol every lab original follows: its params as one JSON object on stdin, its result as one on stdout.

Standard library only. The service (src/cpython/run-original.ts) runs `python3 -E -s -B <lab>.py`, so this
directory is on sys.path and nothing from the user's environment or site-packages is. Below them, what the
originals that start a child of their own share (Child: every wait on it bounded), and a checked int parameter.
"""
import json
import os
import selectors
import signal
import subprocess
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


# -- A lab original that watches a process end (timers.py, daemon_exit.py) runs itself again as a child. --------
# Everything that waits on that child is bounded by one deadline, so a run by hand can never hang: a child that has
# not printed its line, or not exited, by then is killed (SIGKILL), and the answer says so.

CHILD_FLAGS = ("-E", "-s", "-B")  # as the service runs the originals: no user environment, no site-packages
KILL_WAIT_S = 5  # a SIGKILLed child is gone at once; this only bounds the wait for its pipes to close


class Child:
    """`python <script> --child <args…>`, its stdout read line by line and its exit waited for, until `timeout_s`."""

    def __init__(self, script, args, timeout_s):
        self.deadline = time.monotonic() + timeout_s
        self.killed = False  # True when the deadline (or the parent's own end) killed it
        self._pending = b""  # read past the last line returned
        self.proc = subprocess.Popen(
            [sys.executable, *CHILD_FLAGS, os.path.abspath(script), "--child", *map(str, args)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # Every way out of the parent (an exception, Ctrl-C, SIGTERM with exit_on_sigterm()) ends the child too.
        if self.proc.poll() is None:
            self.kill()
            try:
                self.proc.wait(timeout=KILL_WAIT_S)
            except subprocess.TimeoutExpired:
                pass
        return False

    def remaining_s(self):
        return max(0.0, self.deadline - time.monotonic())

    def read_line(self):
        """The child's next line, without its newline: "" when it closed its stdout or the deadline passed."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            while b"\n" not in self._pending:
                if not selector.select(timeout=self.remaining_s()):
                    return ""  # the deadline
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    rest, self._pending = self._pending, b""
                    return rest.decode()
                self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line.decode()

    def send_signal(self, signum):
        if self.proc.poll() is None:
            self.proc.send_signal(signum)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.killed = True

    def finish(self):
        """Waits for its exit until the deadline (then kills it): (the rest of its stdout, its stderr, its exit status)."""
        try:
            out, err = self.proc.communicate(timeout=self.remaining_s())
        except subprocess.TimeoutExpired:
            self.kill()
            try:
                out, err = self.proc.communicate(timeout=KILL_WAIT_S)
            except subprocess.TimeoutExpired:
                out, err = b"", b""
        return (self._pending + out).decode(), err.decode(), exit_status(self.proc.returncode)


def exit_status(returncode):
    """A Popen returncode as the answers write it: exitCode, or exitSignal when a signal killed the process."""
    if returncode is None:
        return {"exitCode": None, "exitSignal": None}
    if returncode < 0:
        return {"exitCode": None, "exitSignal": signal.Signals(-returncode).name}
    return {"exitCode": returncode, "exitSignal": None}


def exit_on_sigterm():
    """SIGTERM raises SystemExit (143, a shell's 128 + 15) instead of killing at once, so `finally:` and `with` still run."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))


def int_param(params, name, default, low, high):
    """params[name] as an int within low…high, or SystemExit naming it and the range."""
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SystemExit(f"{name} must be an integer from {low} to {high} (got {value!r})")
    return value
