"""Read: download an object as a stream and gunzip it, refusing to inflate past a cap.

A CloudTrail object is a few KB to tens of MB compressed; a gzip bomb of a few KB can
inflate to many GB. Decompression is incremental and stops at `max_bytes`, so one bad
object becomes a dead letter instead of taking the worker down.
"""
from __future__ import annotations

import zlib
from typing import BinaryIO, Iterator

import apache_beam as beam
from apache_beam.io.aws.clients.s3.messages import S3ClientError
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions

from transforms.dead_letters import DEAD_LETTER_TAG, dead_letter
from transforms.objects import ObjectRef
from transforms.storage import open_object
from transforms.worker import tune_worker

DEFAULT_MAX_OBJECT_BYTES = 512 * 1024 * 1024
_CHUNK = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class ObjectReadError(Exception):
    """The object's bytes could not be turned into plain text."""


def _read_plain(stream: BinaryIO, first: bytes, max_bytes: int) -> bytes:
    parts = [first]
    total = len(first)
    while chunk := stream.read(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise ObjectReadError(f"object is larger than the {max_bytes}-byte cap (--max-object-bytes)")
        parts.append(chunk)
    return b"".join(parts)


def _inflate_gzip(stream: BinaryIO, first: bytes, max_bytes: int) -> bytes:
    """Gunzip every member (CloudTrail and `cat a.gz b.gz` both give several) under the cap."""
    out = bytearray()
    inflater = zlib.decompressobj(wbits=31)
    data = first
    while data:
        try:
            # A limited call stops one byte past the cap, so a bomb never inflates further.
            out += inflater.decompress(data, max_bytes + 1 - len(out))
        except zlib.error as exc:
            raise ObjectReadError(f"corrupt gzip data: {exc}") from exc
        if len(out) > max_bytes:
            raise ObjectReadError(f"decompressed size exceeds the {max_bytes}-byte cap (--max-object-bytes)")
        if inflater.eof:
            data = inflater.unused_data or stream.read(_CHUNK)
            if not data:
                return bytes(out)
            inflater = zlib.decompressobj(wbits=31)
        else:
            data = stream.read(_CHUNK)
    raise ObjectReadError("truncated gzip data (unexpected end of stream)")


def read_stream(stream: BinaryIO, max_bytes: int) -> bytes:
    """Plain bytes from a gzip or uncompressed stream, detected by magic bytes, not name."""
    first = stream.read(_CHUNK)
    if first.startswith(_GZIP_MAGIC):
        return _inflate_gzip(stream, first, max_bytes)
    return _read_plain(stream, first, max_bytes)


def read_object(url: str, max_bytes: int, options: PipelineOptions) -> bytes:
    with open_object(url, options) as stream:
        return read_stream(stream, max_bytes)


class _ReadObjectFn(beam.DoFn):
    def __init__(self, max_bytes: int, options: PipelineOptions):
        self._max_bytes = max_bytes
        self._options = options
        self._read = Metrics.counter("objects", "read")
        self._failed = Metrics.counter("objects", "failed")
        self._bytes = Metrics.counter("objects", "bytes_decompressed")

    def setup(self):
        tune_worker()

    def process(self, ref: ObjectRef) -> Iterator:
        try:
            data = read_object(ref.url, self._max_bytes, self._options)
        except (ObjectReadError, OSError, S3ClientError) as exc:
            self._failed.inc()
            yield beam.pvalue.TaggedOutput(DEAD_LETTER_TAG, dead_letter("read", ref.url, str(exc), ref.size))
            return
        self._read.inc()
        self._bytes.inc(len(data))
        yield ref, data


class ReadObjects(beam.PTransform):
    """object refs -> (ref, plain bytes); unreadable objects -> dead letters."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_OBJECT_BYTES):
        super().__init__()
        self._max_bytes = max_bytes

    def expand(self, refs):
        read = _ReadObjectFn(self._max_bytes, refs.pipeline.options)
        return refs | "Download and gunzip" >> beam.ParDo(read).with_outputs(
            DEAD_LETTER_TAG, main="objects"
        )
