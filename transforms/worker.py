"""Process-wide settings for the workers the stages run in."""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import platform

# Parsing one CloudTrail object allocates hundreds of thousands of dicts, lists and strings
# that reference counting frees; with the default thresholds (700, 10, 10) the cyclic
# collector still walks them — and every few rounds the whole Beam heap — dozens of times
# per object. Measured on 30,000 generated events: about a third of the hot path's time.
_THRESHOLDS = (100_000, 50, 100)

# glibc's mallopt parameters (malloc.h) and the values iota's workers use. By default glibc
# gives a decompressed object (hundreds of KiB) its own mmap and returns freed heap tops
# to the kernel, so every object, and every JSON text orjson renders into a fresh 1 KiB
# buffer, lands on pages the kernel must fault in and zero again. Keeping freed memory in
# the process removes that: measured 43.3 -> 38.3 us/event over the hot path's stages, and
# orjson.dumps of a missing field from 1.7 to 0.2 us. Peak RSS is unchanged; the
# process just keeps up to the trim threshold free instead of giving it back at once.
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_ALLOCATOR_SETTINGS = (
    (_M_MMAP_THRESHOLD, 256 * 1024 * 1024),
    (_M_TRIM_THRESHOLD, 512 * 1024 * 1024),
    (_M_TOP_PAD, 64 * 1024 * 1024),
)
_allocator_tuned = False


def tune_garbage_collector() -> None:
    """Let the cyclic collector run rarely; idempotent, called from the first stage's setup()."""
    if gc.get_threshold() != _THRESHOLDS:
        gc.set_threshold(*_THRESHOLDS)


def tune_allocator() -> bool:
    """Keep freed memory for reuse instead of returning it to the kernel at once.

    Only where the C library is glibc (Linux workers); elsewhere a no-op. Returns whether
    the settings are in force. Idempotent.
    """
    global _allocator_tuned
    if not _allocator_tuned and platform.libc_ver()[0] == "glibc":
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
        _allocator_tuned = all(mallopt(param, value) == 1 for param, value in _ALLOCATOR_SETTINGS)
    return _allocator_tuned


def tune_worker() -> None:
    """Everything above, from the first stage's setup()."""
    tune_garbage_collector()
    tune_allocator()
