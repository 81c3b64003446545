"""The worker's process settings: the cyclic GC thresholds and the allocator's reuse of freed memory."""
import platform
import subprocess
import sys
import textwrap

import pytest

# Renders 20,000 small JSON texts (orjson starts each in a fresh 1 KiB buffer), keeps them
# as a batch would, drops them, 20 times over; prints the minor page faults that cost.
_FAULTS_PER_BATCH = textwrap.dedent("""
    import resource, sys
    import orjson
    from transforms.worker import tune_allocator
    if sys.argv[1] == "tuned":
        assert tune_allocator()
    def batch():
        return [orjson.dumps(None) for _ in range(20_000)]
    batch()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        batch()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


def _page_faults(mode: str) -> int:
    result = subprocess.run([sys.executable, "-c", _FAULTS_PER_BATCH, mode], capture_output=True, text=True, check=True)
    return int(result.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt settings apply to glibc only")
def test_tuned_allocator_reuses_freed_buffers_instead_of_faulting_in_fresh_pages():
    # By default glibc hands the freed heap back and faults it in again: about one page per text.
    assert _page_faults("default") > 100_000
    assert _page_faults("tuned") < 1_000


def test_tuning_the_garbage_collector_is_idempotent():
    import gc

    from transforms.worker import tune_garbage_collector

    saved = gc.get_threshold()
    try:
        tune_garbage_collector()
        tuned = gc.get_threshold()
        tune_garbage_collector()
        assert gc.get_threshold() == tuned != (700, 10, 10)
    finally:
        gc.set_threshold(*saved)
