"""Classify + normalise: add iota's `p_` fields to each record, changing nothing AWS wrote.

Every record keeps all of its own fields as delivered. Added:
p_log_type, p_event_time, p_parse_time, p_row_id (stable for the same object, position and
eventID, so a re-run or an SQS redelivery is recognisable), p_source_file, and the
indicator lists p_any_ip_addresses / p_any_aws_account_ids / p_any_aws_arns / p_any_usernames
(always lists, empty when nothing was found).
"""
from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import time
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Iterable, Iterator, NamedTuple, Optional

import apache_beam as beam
import orjson
from apache_beam.metrics import Metrics

from transforms.dead_letters import DEAD_LETTER_TAG, dead_letter
from transforms.objects import ObjectRef
from transforms.timeutil import iso_utc, parse_event_time

LOG_TYPE = "AWS.CloudTrail"
FREE_FORM = ("requestParameters", "responseElements", "additionalEventData", "serviceEventDetails")
CHUNK_EVENTS = 10_000

# Both patterns run over every event's JSON. Their quantifiers are possessive (`*+`, `{m,n}+`):
# each is followed by a character it cannot take itself, so giving characters back could
# never find another match, and not trying saves the IP search a third of its time.
_ARN = re.compile(r"(arn:aws[a-z-]*+:[a-z0-9-]*+:[a-z0-9-]*+:(\d{12})?+:[^\"\\\s,]++)")
# A JSON string made only of hex digits, dots and colons, optionally with a /prefix:
# IPv4, IPv6 and CIDR values (and some version strings, which validation drops).
_IP_VALUE = re.compile(r'"([0-9A-Fa-f]{0,4}+[.:][0-9A-Fa-f.:]{1,44}+)(?:/\d{1,3})?+"')

log = logging.getLogger("iota.progress")


# The parts of one record normalise renders as compact JSON: indicators() searches them and
# the lake stores the sections as they are, so each is rendered once per event, not once per
# stage. In this order: userIdentity as bytes (b"null" when absent; equal identities give
# equal bytes, so it keys caches), then the FREE_FORM sections as text, None where absent
# or null. A plain tuple, not a NamedTuple: one is made per event, and that costs a third less.
RecordTexts = tuple[bytes, Optional[str], Optional[str], Optional[str], Optional[str]]


class EventBatch(NamedTuple):
    """Up to CHUNK_EVENTS normalised records from one object: the unit the hot path moves.

    `texts` runs parallel to `records` (None when the batch was made without normalise).
    """

    source: str
    chunk: int
    records: list[dict]
    texts: list[RecordTexts] | None = None


@lru_cache(maxsize=65536)
def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def event_time_text(raw: str, moment: datetime) -> str:
    """p_event_time in iota's format; CloudTrail's usual "...:SSZ" needs no formatting."""
    if len(raw) == 20 and raw[19] == "Z":
        return raw[:19] + ".000000Z"
    return iso_utc(moment)


def row_id(source: str, index: int, event_id: object) -> str:
    """Deterministic id of one row: same object, position and eventID give the same id."""
    return hashlib.blake2b(f"{source}\n{index}\n{event_id}".encode(), digest_size=16).hexdigest()


def record_texts(record: dict) -> RecordTexts:
    """One record's RecordTexts; the four sections are written out because a helper call
    for each costs a third of the whole."""
    get = record.get
    request, response = get("requestParameters"), get("responseElements")
    additional, service = get("additionalEventData"), get("serviceEventDetails")
    return (
        orjson.dumps(get("userIdentity")),
        None if request is None else orjson.dumps(request).decode(),
        None if response is None else orjson.dumps(response).decode(),
        None if additional is None else orjson.dumps(additional).decode(),
        None if service is None else orjson.dumps(service).decode(),
    )


def _texts(values: Iterable[Any]) -> list[str]:
    return [value for value in values if type(value) is str and value]


class _IdentityIndicators(NamedTuple):
    """One userIdentity's share of the p_any_* lists, each already without repeats."""

    accounts: tuple[str, ...]
    arns: tuple[str, ...]
    users: tuple[str, ...]


@lru_cache(maxsize=4096)
def _identity_indicators(rendered: bytes) -> _IdentityIndicators:
    """Indicators of one userIdentity, by its JSON: a trail repeats the same sessions.

    Keyed by the bytes orjson renders, which need no decoding on a hit.
    """
    identity = orjson.loads(rendered)
    if type(identity) is not dict:
        return _IdentityIndicators((), (), ())
    context = identity.get("sessionContext")
    issuer = context.get("sessionIssuer") if type(context) is dict else None
    issuer = issuer if type(issuer) is dict else {}
    found = _ARN.findall(rendered.decode())
    accounts = _texts([identity.get("accountId"), issuer.get("accountId")] + [account for _, account in found])
    return _IdentityIndicators(
        accounts=tuple(dict.fromkeys(accounts)),
        arns=tuple(dict.fromkeys(arn for arn, _ in found)),
        users=tuple(dict.fromkeys(_texts([identity.get("userName"), issuer.get("userName")]))),
    )


def indicators(record: dict, texts: RecordTexts | None = None) -> dict[str, list[str]]:
    """The p_any_* lists of one record, in order of first appearance, without repeats.

    IPs and ARNs are searched in the resources and the free-form sections (one JSON
    rendering, one pass per pattern), ARNs also in the identity; never in userAgent or
    other free text, where version numbers look like addresses. This runs on every event,
    so the lists grow in dicts used as ordered sets, and the ARN pass is skipped where
    the text holds no "arn:aws" at all (a third of the events in generated trails).
    `texts` are the record's renderings when the caller has them already.
    """
    if texts is None:
        texts = record_texts(record)
    identity_json, request_text, response_text, additional_text, service_text = texts
    get = record.get
    identity = _identity_indicators(identity_json)
    resources = get("resources")
    request = get("requestParameters")
    # Character for character what orjson renders for [resources, *the free-form sections].
    searched = (f"[{orjson.dumps(resources).decode()},{request_text or 'null'},{response_text or 'null'},"
                f"{additional_text or 'null'},{service_text or 'null'}]")

    source_ip = get("sourceIPAddress")
    ips = [source_ip] if type(source_ip) is str and _valid_ip(source_ip) else []
    candidates = _IP_VALUE.findall(searched)
    if candidates:
        ips = list(dict.fromkeys(ips + [ip for ip in candidates if _valid_ip(ip)]))

    accounts = dict.fromkeys(identity.accounts)
    recipient = get("recipientAccountId")
    if type(recipient) is str and recipient:
        accounts[recipient] = None
    if type(resources) is list:
        for item in resources:
            if type(item) is dict:
                account = item.get("accountId")
                if type(account) is str and account:
                    accounts[account] = None
    arns = dict.fromkeys(identity.arns)
    if "arn:aws" in searched:
        for arn, account in _ARN.findall(searched):
            arns[arn] = None
            if account:
                accounts[account] = None

    users = list(identity.users)
    if type(request) is dict:
        user = request.get("userName")
        if type(user) is str and user and user not in users:
            users.append(user)

    return {
        "p_any_ip_addresses": ips,
        "p_any_aws_account_ids": list(accounts),
        "p_any_aws_arns": list(arns),
        "p_any_usernames": users,
    }


class NormalisedObject(NamedTuple):
    records: list[dict]
    rejected: list[dict]
    texts: list[RecordTexts]  # parallel to records


def normalise_records(source: str, records: list[dict], parse_time: datetime) -> NormalisedObject:
    """Add the p_ fields; records without a usable eventTime are rejected, not guessed."""
    parse_time_text = iso_utc(parse_time)
    kept: list[dict] = []
    rejected: list[dict] = []
    rendered: list[RecordTexts] = []
    for index, record in enumerate(records):
        raw_time = record.get("eventTime")
        moment = parse_event_time(raw_time)
        if moment is None:
            rejected.append({"item": index, "error": "missing or invalid eventTime", "value": record})
            continue
        row = dict(record)
        row["p_log_type"] = LOG_TYPE
        row["p_event_time"] = event_time_text(raw_time, moment)
        row["p_parse_time"] = parse_time_text
        row["p_row_id"] = row_id(source, index, record.get("eventID"))
        row["p_source_file"] = source
        texts = record_texts(record)
        row.update(indicators(record, texts))
        kept.append(row)
        rendered.append(texts)
    return NormalisedObject(kept, rejected, rendered)


def chunked(source: str, normalised: NormalisedObject, size: int = CHUNK_EVENTS) -> Iterator[EventBatch]:
    records, texts = normalised.records, normalised.texts
    for chunk, start in enumerate(range(0, len(records), size)):
        yield EventBatch(source, chunk, records[start : start + size], texts[start : start + size])


class ProgressLog:
    """Logs objects, events and events/s of this worker every `interval` seconds."""

    def __init__(self, interval: float = 10.0):
        self._interval = interval
        self._started = time.monotonic()
        self._last = self._started
        self.objects = 0
        self.events = 0

    def add(self, events: int) -> None:
        self.objects += 1
        self.events += events
        now = time.monotonic()
        if now - self._last >= self._interval:
            self._last = now
            rate = self.events / max(now - self._started, 1e-9)
            log.info("progress: %d objects, %d events, %.0f events/s", self.objects, self.events, rate)


class _NormaliseFn(beam.DoFn):
    def __init__(self):
        self._events = Metrics.counter("events", "normalised")
        self._rejected = Metrics.counter("events", "rejected")
        self._progress = None

    def setup(self):
        self._progress = ProgressLog()

    def process(self, element: tuple[ObjectRef, list[dict]]) -> Iterator:
        ref, records = element
        result = normalise_records(ref.url, records, datetime.now(timezone.utc))
        self._events.inc(len(result.records))
        self._progress.add(len(result.records))
        if result.rejected:
            self._rejected.inc(len(result.rejected))
            error = f"{len(result.rejected)} record(s) without a usable eventTime"
            yield beam.pvalue.TaggedOutput(DEAD_LETTER_TAG, dead_letter("normalise", ref.url, error, ref.size, result.rejected))
        yield from chunked(ref.url, result)


class Normalise(beam.PTransform):
    """(ref, records) -> EventBatch of normalised records; unusable records -> dead letters."""

    def expand(self, parsed):
        return parsed | "Add p_ fields" >> beam.ParDo(_NormaliseFn()).with_outputs(
            DEAD_LETTER_TAG, main="events"
        )
