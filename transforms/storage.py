"""Objects by URL — local paths or s3:// — with one S3 client per worker process.

Beam's S3 filesystem builds a new boto3 client, reloading its JSON service models (about
0.1 s of CPU), for every file it opens or creates. iota reads one object and writes at
least one lake file per CloudTrail object, so the stages share one client per set of S3
options instead; local paths go through Beam's filesystems as usual.
"""
from __future__ import annotations

import threading
from typing import BinaryIO

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
