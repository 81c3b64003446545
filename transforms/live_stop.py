"""A process-wide request for the live sources to finish.

On the local runners (DirectRunner's FnApiRunner, the portable runner with a
LOOPBACK worker) the source DoFns run in the process that received SIGTERM or
SIGINT, so a flag in this module is how `iota run` asks them to stop: each source
checks it between polls, stops claiming work, and the pipeline drains and ends.
On Flink, stopping is the runner's business (stop with savepoint, cancel).
"""
from __future__ import annotations

import threading

_stop = threading.Event()


def request_stop() -> None:
    """Ask every live source in this process to finish after its current poll."""
    _stop.set()


def stop_requested() -> bool:
    return _stop.is_set()


def clear_stop_request() -> None:
    """Forget an earlier request, so a new pipeline in the same process can run."""
    _stop.clear()
