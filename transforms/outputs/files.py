"""The little file access the dead-letter store and the archive need, as an interface.

Keeping it an interface keeps this package free of Beam: the Beam shell supplies an
implementation over Beam's FileSystems, so local paths and `s3://` (with the
pipeline's `--s3_endpoint_url` and credentials) behave exactly as the lake does.
"""
from __future__ import annotations

import re
from typing import Protocol

UNSAFE_PATH_CHARACTERS = re.compile(r"[^A-Za-z0-9_.=-]")


class FileStore(Protocol):
    def write(self, path: str, data: bytes) -> None: ...
    def read(self, path: str) -> bytes: ...
    def glob(self, pattern: str) -> list[str]: ...
    def delete(self, path: str) -> None: ...


def lake_path(lake: str, *parts: str) -> str:
    """`parts` under the lake root; works for local paths and `s3://bucket/prefix` alike."""
    return "/".join([lake.rstrip("/"), *parts])


def safe_segment(text: str) -> str:
    """A path segment that cannot escape its folder, whatever an alert document says."""
    return UNSAFE_PATH_CHARACTERS.sub("_", text) or "_"
