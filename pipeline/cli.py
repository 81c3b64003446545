"""The `iota` command: one entry point, one module per subcommand."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional

from pipeline import alerts_replay, backfill, live, rule_tests


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iota",
        description="Self-hosted CloudTrail detection on Apache Beam. Flags iota does not know "
        "(--runner, --s3_endpoint_url, --direct_num_workers, ...) are passed to Beam.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    backfill.add_arguments(commands.add_parser("backfill", help="read an S3 prefix or folder into the lake and alerts"))
    live.add_arguments(commands.add_parser("run", help="run live: stream new CloudTrail objects from SQS or S3 polling"))
    rule_tests.add_arguments(commands.add_parser("test", help="run the rules' YAML tests"))
    alerts = commands.add_parser("alerts", help="work with alerts already raised")
    alerts_replay.add_arguments(alerts.add_subparsers(dest="alerts_command", required=True).add_parser(
        "replay", help="re-send alerts kept under <lake>/_undelivered/ and remove the delivered ones"))
    return parser


# Subcommands that use Beam (a pipeline, or its filesystems for the lake) take Beam's own flags.
_BEAM_COMMANDS = {"backfill", "run", "alerts"}


def main(argv: Optional[list[str]] = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("iota").setLevel(logging.INFO)
    parser = build_parser()
    args, beam_args = parser.parse_known_args(argv)
    if beam_args and args.command not in _BEAM_COMMANDS:
        parser.error(f"unrecognized arguments: {' '.join(beam_args)}")
    args.beam_args = beam_args
    handlers = {"backfill": backfill.main, "run": live.main, "test": rule_tests.main, "alerts": alerts_replay.main}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
