"""`iota alerts replay [--output ID]`: re-send dead-lettered alerts, remove what was delivered.

Reads `<lake>/_undelivered/`, sends each record through the same delivery loop, retry
policy and rate limits as the pipeline, deletes a record only once its output
accepted the alert, and rewrites the rest with their new attempt count and error.
Originals go before their updates, so a Slack bot update replayed in the same run
threads under the original message it just posted.

Beam's filesystem flags that `iota` passes through (`--s3_endpoint_url`,
`--s3_region_name`, ...) say how to reach an s3:// lake.

Exit status: 0 when nothing is left undelivered, 1 when some alerts still are,
2 when the outputs file or the arguments are unusable.
"""
from __future__ import annotations

import argparse
import sys

from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from transforms.deliver import BeamFiles, now_iso
from transforms.outputs.dead_letters import DeadLetterStore, UndeliveredAlert
from transforms.outputs.delivery import deliver
from transforms.outputs.routing import load_outputs_config
from transforms.outputs.settings import OutputsConfigError

KIND_ORDER = {"alert": 0, "update": 1}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--outputs", required=True, help="outputs YAML file (ids, types, secret sources)")
    parser.add_argument("--lake", required=True, help="lake root (local path or s3://bucket/prefix)")
    parser.add_argument("--output", dest="output_id", default=None, help="replay only this output id")


def main(args: argparse.Namespace) -> int:
    FileSystems.set_options(PipelineOptions(args.beam_args))
    try:
        config = load_outputs_config(args.outputs)
    except OutputsConfigError as error:
        print(f"iota alerts replay: {error}", file=sys.stderr)
        return 2
    if args.output_id and args.output_id not in config.outputs:
        print(f"iota alerts replay: output {args.output_id!r} is not defined in {args.outputs}", file=sys.stderr)
        return 2

    store = DeadLetterStore(args.lake, BeamFiles())
    records: list[tuple[str, UndeliveredAlert]] = []
    unreadable = 0
    for path in store.paths(args.output_id):
        try:
            records.append((path, store.get(path)))
        except (ValueError, TypeError) as error:
            unreadable += 1
            print(f"kept {path}: not a dead-letter record ({error})")
    records.sort(key=lambda item: (item[1].alert.get("first_event_time") or "",
                                   KIND_ORDER.get(item[1].alert.get("kind"), 2), item[1].alert.get("count") or 0))

    outputs = config.build_outputs()
    destinations = config.destinations()
    threads: dict[tuple[str, str], str] = {}
    delivered = 0
    try:
        for path, record in records:
            output = outputs.get(record.output_id)
            if output is None:
                print(f"kept {path}: output {record.output_id!r} is not defined in {args.outputs}")
                continue
            thread_key = (str(record.alert.get("alert_id")), record.output_id)
            limiter, health = destinations[record.output_id]
            outcome = deliver(output, record.alert, policy=config.retry, limiter=limiter, health=health,
                              thread_ref=record.thread_ref or threads.get(thread_key))
            if outcome.thread_ref:
                threads[thread_key] = outcome.thread_ref
            if outcome.delivered:
                store.remove(path)
                delivered += 1
            else:
                store.put(record.failed_again(outcome, now_iso()))
                print(f"kept {path}: {outcome.error}")
    finally:
        for output in outputs.values():
            output.close()
    remaining = len(records) - delivered + unreadable
    print(f"replayed {len(records)} undelivered alert(s): {delivered} delivered, {remaining} still undelivered")
    return 0 if remaining == 0 else 1
