"""What this CPython is: printed as one JSON object for the service's labs (src/cpython/python-runtime.ts)."""
import json
import platform
import sys
import sysconfig

is_gil_enabled = getattr(sys, "_is_gil_enabled", None)  # 3.13+: False on a free-threaded build run with the GIL off
print(json.dumps({
    "executable": sys.executable,
    "version": platform.python_version(),
    "implementation": sys.implementation.name,
    "build": "free-threaded" if sysconfig.get_config_var("Py_GIL_DISABLED") else "gil",
    "gilEnabled": is_gil_enabled() if is_gil_enabled else True,
    "compiler": platform.python_compiler(),
    "switchIntervalMs": sys.getswitchinterval() * 1000,
}))
