"""General helpers rules import as `panther_base_helpers`, written for iota.

Only functions useful to CloudTrail-era rules are here; point `--helpers` at a
folder holding your own `panther_base_helpers.py` to replace this one entirely.
"""
from __future__ import annotations

import base64
import binascii
import datetime
import fnmatch
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from panther_aws_helpers import aws_cloudtrail_success, aws_rule_context
from transforms.rules_engine.event import deep_get, deep_walk

# aws_rule_context and aws_cloudtrail_success lived here in older Panther helper
# releases; rules written then still import them from this module.
__all__ = [
    "aws_cloudtrail_success",
    "aws_rule_context",
    "deep_get",
    "deep_walk",
    "get_val_from_list",
    "is_base64",
    "is_ip_in_network",
    "key_value_list_to_dict",
    "pattern_match",
    "pattern_match_list",
    "resolve_timestamp_string",
]


def pattern_match(string_to_match: str, pattern: str) -> bool:
    """Shell-style wildcard match (`*`, `?`, `[...]`), case-sensitive."""
    return fnmatch.fnmatchcase(str(string_to_match), pattern)


def pattern_match_list(string_to_match: str, patterns: Sequence[str]) -> bool:
    """True when any of the wildcard patterns matches."""
    return any(pattern_match(string_to_match, pattern) for pattern in patterns)


def is_ip_in_network(ip_addr: str, networks: Iterable[str]) -> bool:
    """True when `ip_addr` is a valid address inside any of the CIDR `networks`."""
    try:
        address = ipaddress.ip_address(ip_addr)
    except ValueError:
        return False
    for network in networks:
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


_TIMESTAMP_FORMATS = (
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%dT%H:%M:%S%z",
)


def resolve_timestamp_string(timestamp: str | None) -> datetime.datetime | None:
    """A naive UTC datetime from the timestamp shapes CloudTrail and iota write, else None."""
    if not timestamp:
        return None
    for layout in _TIMESTAMP_FORMATS:
        try:
            parsed = datetime.datetime.strptime(timestamp, layout)
        except ValueError:
            continue
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return parsed
    return None


def key_value_list_to_dict(list_objects: Iterable[Mapping[str, Any]], key: str, value: str) -> dict:
    """[{"Key": "env", "Value": "prod"}] -> {"env": "prod"} (as in AWS tag lists)."""
    return {item[key]: item[value] for item in list_objects if key in item and value in item}


def get_val_from_list(list_of_dicts: Iterable[Mapping[str, Any]], return_field_key: str, field_cmp_key: str, field_cmp_val: Any) -> set:
    """Values of `return_field_key` from every dict whose `field_cmp_key` equals `field_cmp_val`."""
    return {
        item.get(return_field_key)
        for item in list_of_dicts
        if item.get(field_cmp_key) == field_cmp_val and return_field_key in item
    }


_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


def is_base64(text: str) -> str:
    """The decoded text when `text` is base64 of UTF-8 (at least 12 chars), else ""."""
    if not isinstance(text, str) or len(text) < 12 or len(text) % 4 or not _BASE64.match(text):
        return ""
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
