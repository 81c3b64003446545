"""Find objects: list an S3 prefix or a local folder and keep the CloudTrail log objects.

The pure part decides, from a key alone, whether an object is a log file worth reading
and whether its CloudTrail key date can fall in the requested time range. The Beam part
lists through Beam's filesystems, so `s3://` (with `--s3_endpoint_url` and friends) and
local paths behave the same.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Iterator, NamedTuple, Optional

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from transforms.timeutil import TimeRange


class ObjectRef(NamedTuple):
    """One object to read: where it is and which version of it."""

    url: str
    size: int
    etag: str  # the S3 ETag where the source knows it, else "<size>-<mtime>"


# AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/... and, for organization trails,
# AWSLogs/o-<org>/<account>/CloudTrail/<region>/YYYY/MM/DD/...
_KEY_DATE = re.compile(r"/CloudTrail/[^/]+/(\d{4})/(\d{2})/(\d{2})/")

SKIP_DIGEST = "digest"
SKIP_EMPTY = "empty"
SKIP_FOLDER = "folder"
SKIP_OUT_OF_RANGE = "out_of_range"


def key_date(url: str) -> Optional[date]:
    """The delivery date CloudTrail encodes in the key, or None for other layouts."""
    found = _KEY_DATE.search(url)
    if not found:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


def skip_reason(url: str, size: int, time_range: TimeRange) -> Optional[str]:
    """Why an object is not read, or None when it should be.

    CloudTrail names an object after its delivery time, minutes after its events: a key
    dated before the range's first day holds only earlier events, while a key dated the
    range's last day (even when the range ends at midnight) can still hold events inside
    it. Detection then makes the exact cut by event time.
    """
    if url.endswith("/"):
        return SKIP_FOLDER
    if "/CloudTrail-Digest/" in url:
        return SKIP_DIGEST
    if size == 0:
        return SKIP_EMPTY
    day = key_date(url)
    if day is not None and not time_range.may_hold_deliveries_of(day):
        return SKIP_OUT_OF_RANGE
    return None


def list_pattern(input_location: str) -> str:
    """The Beam filesystem glob that lists everything under a prefix or folder."""
    base = input_location if input_location.endswith("/") else input_location + "/"
    return base + "**"


def version_tag(size: int, last_updated: float) -> str:
    """A version marker for listings that carry no ETag."""
    return f"{size}-{int(last_updated)}"


class _ListObjectsFn(beam.DoFn):
    """Lists one input location and emits the objects worth reading."""

    def __init__(self, time_range: TimeRange):
        self._time_range = time_range
        self._listed = Metrics.counter("objects", "listed")
        self._skipped = {
            reason: Metrics.counter("objects", f"skipped_{reason}")
            for reason in (SKIP_DIGEST, SKIP_EMPTY, SKIP_FOLDER, SKIP_OUT_OF_RANGE)
        }

    def process(self, input_location: str) -> Iterator[ObjectRef]:
        for match in FileSystems.match([list_pattern(input_location)]):
            for meta in match.metadata_list:
                self._listed.inc()
                reason = skip_reason(meta.path, meta.size_in_bytes, self._time_range)
                if reason:
                    self._skipped[reason].inc()
                    continue
                yield ObjectRef(meta.path, meta.size_in_bytes, version_tag(meta.size_in_bytes, meta.last_updated_in_seconds))


class FindObjects(beam.PTransform):
    """input locations -> object refs, spread out so reading runs in parallel."""

    def __init__(self, input_locations: list[str], time_range: TimeRange):
        super().__init__()
        self._input_locations = input_locations
        self._time_range = time_range

    def expand(self, pbegin):
        return (
            pbegin
            | "Locations" >> beam.Create(self._input_locations)
            | "List" >> beam.ParDo(_ListObjectsFn(self._time_range))
            | "Spread" >> beam.Reshuffle()
        )

