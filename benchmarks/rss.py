"""Resident memory of a process tree, read from /proc, sampled in the background."""
from __future__ import annotations

import os
import resource
import threading
import time


def tree_rss(root_pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)  # fields[1] is the parent pid
        rss[pid] = int(fields[21]) * resource.getpagesize()  # fields[21] is rss in pages
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total


class RssSampler(threading.Thread):
    """Samples a process tree's RSS every `interval` seconds: the peak, and (time, bytes) pairs."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.samples: list[tuple[float, int]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            rss = tree_rss(self.pid)
            self.samples.append((time.monotonic(), rss))
            self.peak = max(self.peak, rss)
            self._stop_event.wait(self.interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak

    def between(self, start: float, end: float) -> list[tuple[float, int]]:
        return [(moment, rss) for moment, rss in self.samples if start <= moment <= end]
