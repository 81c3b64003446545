"""The run summary: Beam counters turned into the figures a user checks after a run.

The stages count with Beam metrics, so the same numbers appear in Flink's UI; this module
only reads them back from a finished pipeline result.
"""
from __future__ import annotations

from collections import defaultdict

from apache_beam.runners.runner import PipelineResult


def counters(result: PipelineResult) -> dict[str, int]:
    """'namespace.name' -> value, summed over steps (committed where the runner has it)."""
    totals: dict[str, int] = defaultdict(int)
    for counter in result.metrics().query()["counters"]:
        value = counter.committed if counter.committed is not None else counter.attempted
        totals[f"{counter.key.metric.namespace}.{counter.key.metric.name}"] += value or 0
    return dict(totals)


def render(figures: dict[str, int], seconds: float, lake: str, alerts_file: str) -> str:
    get = lambda name: figures.get(name, 0)  # noqa: E731 - a local shorthand keeps the table readable
    skipped = {reason: get(f"objects.skipped_{reason}") for reason in ("digest", "empty", "folder", "out_of_range")}
    events = get("events.normalised")
    rate = events / seconds if seconds > 0 else 0.0
    # live sources find objects without the listing stage (their own counters follow the summary)
    listing = (f"listed {get('objects.listed')} ({get('objects.list_requests')} list requests), "
               if get("objects.list_requests") else "")
    lines = [
        f"iota: finished in {seconds:.1f} s",
        f"  objects      {listing}read {get('objects.read')}, "
        f"skipped {sum(skipped.values())} ({', '.join(f'{k} {v}' for k, v in skipped.items())}), failed {get('objects.failed')}",
        f"  events       {events} ({rate:.0f} events/s), rejected {get('events.rejected')}, "
        f"outside the time range (in the lake, not evaluated) {get('events.outside_time_range')}",
        f"  lake         {get('lake.files')} files, {get('lake.rows')} rows under {lake}",
        f"  rules        {get('rules.events_evaluated')} events evaluated, {get('rules.matches')} matches, "
        f"{get('rules.errors')} rule errors",
        f"  alerts       {get('alerts.alerts')} alerts, {get('alerts.updates')} updates -> {alerts_file}",
        f"  dead letters {get('dead_letters.written')} written under {lake.rstrip('/')}/_errors/",
        f"  archive      {get('alerts.archived')} alert documents under {lake.rstrip('/')}/alerts/",
    ]
    delivered = {outcome: sum(value for name, value in figures.items()
                              if name.startswith("outputs.") and name.endswith(f".{outcome}"))
                 for outcome in ("sent", "dead_lettered")}
    if any(delivered.values()):
        lines.append(f"  outputs      {delivered['sent']} sent, {delivered['dead_lettered']} undelivered under "
                     f"{lake.rstrip('/')}/_undelivered/ (re-send: iota alerts replay)")
    return "\n".join(lines)
