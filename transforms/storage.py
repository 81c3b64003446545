"""Objects by URL — local paths or s3:// — with one S3 client per worker process.

Beam's S3 filesystem builds a new boto3 client, reloading its JSON service models (about
0.1 s of CPU), for every file it opens or creates. iota reads one object and writes at
least one lake file per CloudTrail object, so the stages share one client per set of S3
options instead; local paths go through Beam's filesystems as usual.

Listing is ours too: Beam's S3 match lists everything under a prefix and filters in
Python, while finding a time range's objects needs one folder level at a time (S3's
delimiter listing) so that whole years are never listed.
"""
from __future__ import annotations

import os
import threading
from typing import BinaryIO, Iterator, NamedTuple

from apache_beam.io.aws.s3io import S3IO
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, S3Options

_S3_SETTINGS = ("s3_access_key_id", "s3_secret_access_key", "s3_session_token", "s3_endpoint_url",
                "s3_region_name", "s3_api_version", "s3_verify", "s3_disable_ssl")
_clients: dict[tuple, S3IO] = {}
_clients_lock = threading.Lock()


def _s3(options: PipelineOptions) -> S3IO:
    settings = options.view_as(S3Options)
    key = tuple(getattr(settings, name) for name in _S3_SETTINGS)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = S3IO(options=options)
        return _clients[key]


def open_object(url: str, options: PipelineOptions) -> BinaryIO:
    """A binary stream of the object's bytes as stored (no decompression)."""
    if url.startswith("s3://"):
        return _s3(options).open(url, "r")
    return FileSystems.open(url, compression_type=CompressionTypes.UNCOMPRESSED)


def write_object(url: str, payload: bytes, options: PipelineOptions) -> None:
    """Write a whole object so that readers see all of it or none: an S3 PUT is atomic, a
    local file is written aside and renamed into place."""
    if url.startswith("s3://"):
        with _s3(options).open(url, "w") as handle:
            handle.write(payload)
        return
    staging = f"{url}.inprogress"
    with FileSystems.create(staging, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        handle.write(payload)
    FileSystems.rename([staging], [url])


class ListedObject(NamedTuple):
    url: str
    size: int
    etag: str  # the S3 ETag, or version_tag() for a local file
    modified: float  # last modified, in seconds since the epoch


class ListingPage(NamedTuple):
    """What one list request returned: S3 answers a page at a time, a local folder at once."""

    objects: list[ListedObject]
    folders: list[str]  # sub-folder URLs ending in "/"; empty for a recursive listing


def version_tag(size: int, last_updated: float) -> str:
    """A version marker for listings that carry no ETag."""
    return f"{size}-{int(last_updated)}"


def list_pages(folder_url: str, options: PipelineOptions, recursive: bool) -> Iterator[ListingPage]:
    """The objects under a folder URL (ending in "/"), one page per list request: every
    object below it when recursive, else its direct objects and sub-folders. A folder
    that does not exist (or is a file) lists as empty, as an S3 prefix does."""
    if folder_url.startswith("s3://"):
        yield from _s3_pages(folder_url, options, recursive)
    else:
        yield from _local_pages(folder_url, recursive)


def _s3_pages(folder_url: str, options: PipelineOptions, recursive: bool) -> Iterator[ListingPage]:
    bucket, _, prefix = folder_url.removeprefix("s3://").partition("/")
    boto3_client = _s3(options).client.client  # Beam's S3 client wraps a boto3 client built from the options
    delimiter = {} if recursive else {"Delimiter": "/"}
    for page in boto3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, **delimiter):
        yield ListingPage(
            [ListedObject(f"s3://{bucket}/{item['Key']}", item["Size"], item["ETag"].strip('"'),
                          item["LastModified"].timestamp())
             for item in page.get("Contents", [])],
            [f"s3://{bucket}/{common['Prefix']}" for common in page.get("CommonPrefixes", [])],
        )


def _local_pages(folder: str, recursive: bool) -> Iterator[ListingPage]:
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except (FileNotFoundError, NotADirectoryError):
        yield ListingPage([], [])
        return
    objects, folders = [], []
    for entry in entries:
        if entry.is_dir():
            folders.append(entry.path + "/")
        else:
            stat = entry.stat()
            objects.append(ListedObject(entry.path, stat.st_size, version_tag(stat.st_size, stat.st_mtime), stat.st_mtime))
    yield ListingPage(objects, [] if recursive else folders)
    if recursive:
        for sub_folder in folders:
            yield from _local_pages(sub_folder, recursive=True)


def remove_tree(url: str, options: PipelineOptions) -> bool:
    """Remove a folder (local) or every object under a prefix (S3); whether there was one."""
    if url.startswith("s3://"):
        removed = list(_s3(options).delete_tree(url.rstrip("/") + "/"))
        failures = {path: error for path, error in removed if error is not None}
        if failures:
            raise IOError(f"could not remove {len(failures)} object(s) under {url}: {failures}")
        return bool(removed)
    folder = url.rstrip("/")
    if not FileSystems.exists(folder):
        return False
    FileSystems.delete([folder])  # a local folder named without its slash goes whole
    return True
