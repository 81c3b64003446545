"""Find objects: list an S3 prefix or a local folder and keep the CloudTrail log objects.

The pure part decides, from a key alone, whether an object is a log file worth reading
and whether its CloudTrail key date can fall in the requested time range, and which
folders a run over a time range has to list. CloudTrail names its folders by delivery
day (``.../CloudTrail/<region>/YYYY/MM/DD/``), so a range with a start is found by
walking the folders one level at a time down to each region and listing only the range's
days there, never the years around them. A range without a start has no first day to
enumerate from, so it lists everything under the location once.
"""
from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Iterable, Iterator, NamedTuple, Optional

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions

from transforms.storage import ListedObject, ListingPage, list_pages
from transforms.timeutil import TimeRange


class ObjectRef(NamedTuple):
    """One object to read: where it is and which version of it."""

    url: str
    size: int
    etag: str  # the S3 ETag where the source knows it, else storage.version_tag(size, mtime)


def batch_file_stem(source: str, chunk: int) -> str:
    """`<source digest>-<chunk>`: the name of whatever a stage writes for one chunk of one
    object, the same in every run, so a re-run or a retry overwrites instead of adding."""
    return f"{hashlib.sha1(source.encode()).hexdigest()[:24]}-{chunk:04d}"


# AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/... and, for organization trails,
# AWSLogs/o-<org>/<account>/CloudTrail/<region>/YYYY/MM/DD/...; Insights events go to
# CloudTrail-Insight/ in the same layout.
_DATED_SERVICE = r"CloudTrail(?:-Insight)?"
_ACCOUNT_FOLDER = r"(?:^|/)AWSLogs/(?:o-[a-z0-9]+/)?\d{12}/"
_KEY_DATE = re.compile(rf"/{_DATED_SERVICE}/[^/]+/(\d{{4}})/(\d{{2}})/(\d{{2}})/")
_REGION_PREFIX = re.compile(rf"^.*{_ACCOUNT_FOLDER}{_DATED_SERVICE}/[^/]+/")
_SERVICE_FOLDER = re.compile(rf"{_ACCOUNT_FOLDER}([^/]+)/$")

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


def region_prefix(url: str) -> Optional[str]:
    """The ``AWSLogs/[o-<org>/]<account>/CloudTrail/<region>/`` folder (or CloudTrail-Insight's)
    that a URL lies in or is, or None: below it CloudTrail writes only ``YYYY/MM/DD/`` folders."""
    found = _REGION_PREFIX.match(url)
    return found[0] if found else None


def may_lead_to_trail_logs(folder_url: str) -> bool:
    """Whether a folder met while walking can hold CloudTrail logs: any folder except an
    account's folders for CloudTrail-Digest and other services (Config, vpcflowlogs...)."""
    service = _SERVICE_FOLDER.search(folder_url)
    return service is None or re.fullmatch(_DATED_SERVICE, service[1]) is not None


def day_prefixes(time_range: TimeRange, today: date) -> list[str]:
    """``YYYY/MM/DD/`` for each delivery day that may hold events of a range with a start:
    from the start's day through the end's day (`TimeRange.may_hold_deliveries_of`), or
    through today when the range is open at the end; no object is dated after today."""
    if time_range.start is None:
        raise ValueError("a range open at the start has no first day to list")
    first = time_range.start.date()
    last = min(time_range.end.date(), today) if time_range.end else today
    return [f"{first + timedelta(days=n):%Y/%m/%d}/" for n in range((last - first).days + 1)]


def prefixes_to_list(folder_url: str, region: str, days: list[str]) -> list[str]:
    """Inside region folder `region`: the range's day folders under `folder_url`, or the
    folder itself when it lies within one of those days; nothing when it lies in another day."""
    wanted = [region + day for day in days]
    below = [prefix for prefix in wanted if prefix.startswith(folder_url)]
    if below:
        return below
    return [folder_url] if any(folder_url.startswith(prefix) for prefix in wanted) else []


ListPages = Callable[[str, bool], Iterable[ListingPage]]  # (folder URL, recursive) -> pages


def find_objects(location: str, time_range: TimeRange, today: date, list_folder: ListPages) -> Iterator[ListedObject]:
    """Every object under a location that a run over the range may need to read.

    Objects met on the way down (outside any region folder) are all returned; the caller
    still applies `skip_reason`. CloudTrail-Digest folders and other services' folders are
    not listed at all."""
    folder = location if location.endswith("/") else location + "/"
    if time_range.start is None:
        yield from _everything(folder, list_folder)
    else:
        yield from _walk(folder, day_prefixes(time_range, today), list_folder)


def _everything(folder_url: str, list_folder: ListPages) -> Iterator[ListedObject]:
    for page in list_folder(folder_url, True):
        yield from page.objects


def _walk(folder_url: str, days: list[str], list_folder: ListPages) -> Iterator[ListedObject]:
    region = region_prefix(folder_url)
    if region is not None:
        for prefix in prefixes_to_list(folder_url, region, days):
            yield from _everything(prefix, list_folder)
        return
    for page in list_folder(folder_url, False):
        yield from page.objects
        for sub_folder in page.folders:
            if may_lead_to_trail_logs(sub_folder):
                yield from _walk(sub_folder, days, list_folder)


class _ListObjectsFn(beam.DoFn):
    """Lists one input location and emits the objects worth reading."""

    def __init__(self, time_range: TimeRange, options: PipelineOptions):
        self._time_range = time_range
        self._options = options
        self._requests = Metrics.counter("objects", "list_requests")
        self._listed = Metrics.counter("objects", "listed")
        self._skipped = {
            reason: Metrics.counter("objects", f"skipped_{reason}")
            for reason in (SKIP_DIGEST, SKIP_EMPTY, SKIP_FOLDER, SKIP_OUT_OF_RANGE)
        }

    def process(self, input_location: str) -> Iterator[ObjectRef]:
        today = datetime.now(timezone.utc).date()
        for listed in find_objects(input_location, self._time_range, today, self._list_folder):
            self._listed.inc()
            reason = skip_reason(listed.url, listed.size, self._time_range)
            if reason:
                self._skipped[reason].inc()
                continue
            yield ObjectRef(listed.url, listed.size, listed.etag)

    def _list_folder(self, folder_url: str, recursive: bool) -> Iterator[ListingPage]:
        for page in list_pages(folder_url, self._options, recursive):
            self._requests.inc()
            yield page


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
            | "List" >> beam.ParDo(_ListObjectsFn(self._time_range, pbegin.pipeline.options))
            | "Spread" >> beam.Reshuffle()
        )

