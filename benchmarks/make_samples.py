"""Write the built-in sample CloudTrail data that ./run_local.sh loads (see samples/README.md).

    python -m benchmarks.make_samples            # rewrites samples/AWSLogs/

A few hundred ordinary events with every attack the bundled rules look for (some
repeated, so deduplication folds them into one alert with a count), CloudTrail-Digest
objects that must be skipped, and three broken objects that must become dead letters.
Fixed seed: running it again gives byte-identical files.
"""
from __future__ import annotations

import argparse
import gzip
import shutil
import sys
from pathlib import Path

import orjson

from benchmarks.cloudtrail_gen import DEFAULT_START, CloudTrailGenerator, write_trail

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"
SEED = 2025
ACCOUNTS = ("111122223333", "444455556666")
REGIONS = ("us-east-1", "us-west-2")
BACKGROUND_EVENTS = 280
EVENTS_PER_FILE = 40
ATTACKS = {
    "root_console_login": 3,
    "console_login_without_mfa": 2,
    "stop_logging": 1,
    "delete_trail": 1,
    "guardduty_delete_detector": 1,
    "attach_admin_policy": 1,
    "root_create_access_key": 1,
    "s3_bucket_policy_public": 1,
    "s3_bucket_acl_public": 1,
    "security_group_open_world": 4,
    "kms_schedule_key_deletion": 1,
}
# Broken objects, named in the CloudTrail layout so a backfill of the prefix reads them;
# the 16-character unique part of each name says what is wrong with it.
BAD_OBJECT_DIR = f"AWSLogs/{ACCOUNTS[0]}/CloudTrail/us-west-2/2025/01/01"
BAD_OBJECT_NAME = f"{ACCOUNTS[0]}_CloudTrail_us-west-2_20250101T0035Z_{{}}.json.gz"


def bad_objects() -> dict[str, bytes]:
    """The broken objects by key: a cut-off gzip, a gzip of an HTML page, JSON of the wrong shape."""
    gen = CloudTrailGenerator(SEED, ACCOUNTS)
    records = [gen.background_event(ACCOUNTS[0], "us-west-2", DEFAULT_START) for _ in range(20)]
    whole = gzip.compress(orjson.dumps({"Records": records}), mtime=0)
    html = b"<html><head><title>503 Service Unavailable</title></head><body>Slow Down</body></html>\n"
    return {
        f"{BAD_OBJECT_DIR}/{BAD_OBJECT_NAME.format('BadTruncatedGzip')}": whole[: len(whole) // 2],
        f"{BAD_OBJECT_DIR}/{BAD_OBJECT_NAME.format('BadNotJsonObject')}": gzip.compress(html, mtime=0),
        f"{BAD_OBJECT_DIR}/{BAD_OBJECT_NAME.format('BadNoRecordsList')}": gzip.compress(
            orjson.dumps({"Records": "expected a list of events here"}), mtime=0
        ),
    }


def make_samples(out_dir: Path) -> None:
    """Write the sample set under `out_dir`/AWSLogs/."""
    write_trail(
        out_dir, BACKGROUND_EVENTS, seed=SEED, events_per_file=EVENTS_PER_FILE, accounts=ACCOUNTS,
        regions=REGIONS, hours=1, attacks=ATTACKS, digests=True,
    )
    for key, body in bad_objects().items():
        (out_dir / key).write_bytes(body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=SAMPLES_DIR, help=f"default {SAMPLES_DIR}")
    args = parser.parse_args(argv)
    shutil.rmtree(args.out / "AWSLogs", ignore_errors=True)
    make_samples(args.out)
    files = sorted((args.out / "AWSLogs").rglob("*.json.gz"))
    print(f"wrote {len(files)} objects, {sum(f.stat().st_size for f in files):,} bytes, under {args.out}/AWSLogs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
