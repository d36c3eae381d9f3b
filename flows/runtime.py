"""What a process does before it runs a flow: Prefect's settings, Prefect's logs to a file, leftovers of killed
runs cleaned up, and one-line explanations for the ways Prefect itself fails.

Imported by the CLI before any flow module, because Prefect reads its settings when it is first used.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

# Prefect's default is 20 s, which a loaded 2-core machine misses (seen three times); starting the temporary
# server takes ≈13 s here when idle.
STARTUP_TIMEOUT_S = 120
SERVER_TIMEOUT = "Timed out while attempting to connect to ephemeral Prefect API server"
DOCS_PREFIX = "opengap-docs-"  # + "<pid>-": temporary Data Docs folders, named after the process that owns them
_EPHEMERAL_APP = b"prefect.server.api.server:create_app"
_EPHEMERAL_MARK = b"PREFECT__SERVER_EPHEMERAL=1"
# Loggers Prefect gives console handlers (its logging.yml); the run's own loggers propagate to the root.
_CONSOLE_LOGGERS = ("", "uvicorn", "fastapi", "prefect._internal")
_HANDLER_NAME = "opengap-run-log"


def prefect_environment(debug: bool = False) -> None:
    """Settings for Prefect, unless the operator set them (e.g. PREFECT_API_URL for a persistent server)."""
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(STARTUP_TIMEOUT_S))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    if not os.environ.get("PREFECT_API_URL"):
        # The run's logs go to its file (route_logs_to_file); copies sent to a temporary server die with it, and
        # flushing them at exit waited 5 s for a server already stopped. A persistent server keeps getting them.
        os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")


def route_logs_to_file(path: Path) -> None:
    """Send Prefect's console output (run logs, server chatter, tracebacks of failed runs) to ``path``."""
    import prefect.logging.configuration  # noqa: F401  (configures Prefect's handlers, which are replaced here)

    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.set_name(_HANDLER_NAME)
    for name in _CONSOLE_LOGGERS:
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            # Prefect's console handlers, any other handler writing to the terminal (logging.basicConfig's), and
            # this function's handler of an earlier command in this process.
            to_terminal = getattr(old, "stream", None) in (sys.stderr, sys.stdout)
            if old.get_name() == _HANDLER_NAME or type(old).__module__.startswith("prefect.") or to_terminal:
                logger.removeHandler(old)
                if old.get_name() == _HANDLER_NAME:
                    old.close()
        logger.addHandler(handler)


def _libc() -> ctypes.CDLL | None:
    if sys.platform != "linux":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _libc()  # loaded before any fork: the child must not load libraries between fork and exec
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: ask the kernel for SIGTERM when the parent dies."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def popen_dying_with_parent(*args: Any, **kwargs: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen`` whose child is sent SIGTERM when the thread that started it ends, the process
    killed with SIGKILL included (Linux's PR_SET_PDEATHSIG); a plain Popen on other platforms."""
    if _LIBC is not None:
        kwargs.setdefault("preexec_fn", _die_with_parent)
    return subprocess.Popen(*args, **kwargs)


def give_back_memory() -> None:
    """Return the memory a finished backfill task freed to the system: Arrow's pool and the C heap keep freed pages
    for reuse otherwise, so a Dask worker may hold its largest task's peak for the rest of the run. Measured at 12M
    rows with Dask: 4.15 and 4.39 GB peak PSS with it, 4.42 GB without (bench/RESULTS.md): within the spread."""
    import pyarrow as pa  # here, not at the top: the CLI imports this module before anything heavy

    gc.collect()
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def servers_die_with_their_run() -> None:
    """Start Prefect's temporary API server as a child that dies with this process, so a run killed with
    SIGKILL leaves no server behind (``clean_leftovers`` covers other platforms and older runs). Only Prefect's
    server module sees the change. Nothing to do when PREFECT_API_URL names a persistent server."""
    if os.environ.get("PREFECT_API_URL") or _LIBC is None:
        return
    from prefect.server.api import server

    server.subprocess = SimpleNamespace(**{**vars(subprocess), "Popen": popen_dying_with_parent})  # type: ignore[assignment]


def start_server_early() -> threading.Event | None:
    """Start Prefect's temporary API server from a background thread, while this process goes on importing and
    checking (Great Expectations alone takes ~4 s to import, the server's process ~5 s to answer): the flow then
    finds it running. The caller waits for the returned event before the flow starts (``start`` marks the
    server running before it answers). None when an API server is configured. A failure here is left to the
    flow, which starts the server again and reports it (``explain``).

    The thread outlives the start: the server is a child that dies with the thread that started it
    (``popen_dying_with_parent``), so that thread waits until the process ends."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return None
    ready = threading.Event()

    def start() -> None:
        from prefect.server.api.server import SubprocessASGIServer

        try:
            SubprocessASGIServer().start()
        except Exception:  # the flow starts it again, and explains a failure
            ready.set()
            return
        ready.set()
        threading.Event().wait()  # until the process ends (a daemon thread)

    threading.Thread(target=start, name="opengap-prefect-server", daemon=True).start()
    return ready


def explain(exc: BaseException) -> str | None:
    """A one-line message with advice for failures of Prefect's machinery (None: not one of those)."""
    if isinstance(exc, RuntimeError) and SERVER_TIMEOUT in str(exc):
        return (
            f"Prefect's temporary API server did not start within "
            f"{os.environ.get('PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS', STARTUP_TIMEOUT_S)} s (a loaded "
            "machine?); raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or run `prefect server start` once "
            "and set PREFECT_API_URL=http://127.0.0.1:4200/api so runs use that persistent server"
        )
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def orphaned_servers(proc: Path = Path("/proc")) -> list[int]:
    """Temporary Prefect API servers whose parent run was killed: this user's uvicorn processes serving
    Prefect's app, marked ephemeral, and adopted by init (parent pid 1). Linux only (empty elsewhere)."""
    found = []
    for entry in proc.glob("[0-9]*"):
        try:
            if entry.stat().st_uid != os.getuid():
                continue
            cmdline = (entry / "cmdline").read_bytes()
            if _EPHEMERAL_APP not in cmdline or _EPHEMERAL_MARK not in (entry / "environ").read_bytes():
                continue
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # the process ended meanwhile, or is not ours to read
        if ppid == 1:
            found.append(int(entry.name))
    return found


def stale_docs_folders(tmp: Path | None = None) -> list[Path]:
    """Temporary Data Docs folders whose process is gone (a killed run cannot delete its own)."""
    stale = []
    for folder in Path(tmp or tempfile.gettempdir()).glob(f"{DOCS_PREFIX}*"):
        pid = folder.name.removeprefix(DOCS_PREFIX).split("-", 1)[0]
        if folder.is_dir() and (not pid.isdigit() or not _alive(int(pid))):
            stale.append(folder)
    return stale


def clean_leftovers() -> dict[str, int]:
    """Stop orphaned temporary Prefect servers and delete stale temporary Data Docs folders."""
    servers = orphaned_servers()
    for pid in servers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    folders = stale_docs_folders()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    if servers:
        time.sleep(0.2)  # let them release their ports before this run starts its own
    return {"servers": len(servers), "docs_folders": len(folders)}


def docs_folder_prefix() -> str:
    """The prefix of this process's temporary Data Docs folders (see ``stale_docs_folders``)."""
    return f"{DOCS_PREFIX}{os.getpid()}-"
