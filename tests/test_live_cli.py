"""`iota run` option parsing and its refusal of graphs the local runner cannot stream."""
from __future__ import annotations

from datetime import timedelta

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.cli import build_parser
from pipeline.live import check_fused, duration, runs_locally


def test_durations_read_as_people_write_them():
    assert [duration(text) for text in ("90", "30s", "5m", "1.5h", "1d")] == [
        timedelta(seconds=90), timedelta(seconds=30), timedelta(minutes=5), timedelta(hours=1.5), timedelta(days=1)]


def test_a_source_is_required_and_only_one():
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "--lake", "lake"])
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "--lake", "lake", "--sqs-queue-url", "q", "--s3-poll", "s3://b/"])
    args = parser.parse_args(["run", "--lake", "lake", "--s3-poll", "s3://trail/AWSLogs/", "--poll-interval", "30s"])
    assert (args.poll_interval, args.watermark_allowance) == (timedelta(seconds=30), timedelta(minutes=15))


def test_the_local_runners_are_recognised():
    assert runs_locally(PipelineOptions([]))
    assert runs_locally(PipelineOptions(["--runner=PortableRunner", "--job_endpoint=embed"]))
    assert not runs_locally(PipelineOptions(["--runner=FlinkRunner", "--flink_master=flink:8081"]))


def test_a_shuffle_behind_the_source_is_refused_on_the_local_runner_only():
    options = PipelineOptions([])
    pipeline = beam.Pipeline(options=options)
    _ = pipeline | beam.Create(["s3://trail/a.json.gz"]) | beam.Reshuffle() | beam.Map(len)
    with pytest.raises(RuntimeError, match="Reshuffle"):
        check_fused(pipeline, options)
    check_fused(pipeline, PipelineOptions(["--runner=FlinkRunner"]))


def test_live_mode_on_the_direct_runner_refuses_worker_processes():
    options = PipelineOptions(["--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    with pytest.raises(RuntimeError, match="one process"):
        check_fused(beam.Pipeline(options=options), options)
