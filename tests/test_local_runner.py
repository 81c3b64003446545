"""The local runner's metrics fold: bounded however many bundles a live run executes."""
import itertools
import sys

import pytest
from apache_beam.metrics import monitoring_infos
from apache_beam.metrics.cells import GaugeData
from apache_beam.runners.portability.fn_api_runner import fn_runner

from pipeline.local_runner import fold_metrics_eagerly


def bundle_metrics(bundle: int):
    """What one bundle reports: an element count, a user counter and a gauge of one transform."""
    return [
        monitoring_infos.int64_counter(monitoring_infos.ELEMENT_COUNT_URN, 3, pcollection="ref_PCollection_1"),
        monitoring_infos.int64_user_counter("events", "normalised", 200, ptransform="Normalise"),
        monitoring_infos.int64_user_gauge("iota.s3poll", "keys_tracked", GaugeData(bundle, timestamp=bundle), ptransform="Poll"),
    ]


def fold_like_the_runner(bundles: int):
    """The FnApiRunner's own per-bundle fold: consolidate(chain(this bundle, the fold so far))."""
    folded = bundle_metrics(0)
    for bundle in range(1, bundles):
        folded = fn_runner.consolidate_monitoring_infos(itertools.chain(bundle_metrics(bundle), folded))
    return list(folded)


@pytest.fixture
def original_fold():
    saved = fn_runner.consolidate_monitoring_infos
    yield
    fn_runner.consolidate_monitoring_infos = saved


def test_beams_lazy_fold_fails_once_a_run_has_more_bundles_than_the_recursion_limit(original_fold):
    fn_runner.consolidate_monitoring_infos = monitoring_infos.consolidate
    with pytest.raises(RecursionError):
        fold_like_the_runner(sys.getrecursionlimit() + 100)


def test_folding_eagerly_keeps_one_entry_per_metric_with_the_totals(original_fold):
    fold_metrics_eagerly()
    bundles = 5 * sys.getrecursionlimit()
    folded = fold_like_the_runner(bundles)
    assert len(folded) == 3
    values = {info.urn: monitoring_infos.extract_metric_result_map_value(info) for info in folded}
    assert values[monitoring_infos.ELEMENT_COUNT_URN] == 3 * bundles
    assert values[monitoring_infos.USER_COUNTER_URN] == 200 * bundles
    assert values[monitoring_infos.USER_GAUGE_URN].value == bundles - 1  # the latest, not one per bundle
