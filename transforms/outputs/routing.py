"""The `--outputs` file: which outputs exist, where each severity goes, how hard to retry.

```yaml
outputs:
  - id: soc-slack
    type: slack_webhook               # slack_webhook | slack_bot | webhook | pagerduty
    webhook_url: {env: IOTA_SLACK_WEBHOOK_URL}
  - id: soc-slack-threads
    type: slack_bot
    token: {file: /run/secrets/slack-bot-token}
    channel: C0123456789
  - id: siem
    type: webhook
    url: {env: SIEM_WEBHOOK_URL}
    signing_secret: {env: SIEM_SIGNING_SECRET}
    headers: {X-Team: secops, Authorization: {env: SIEM_AUTH_HEADER}}
    rate_limit_per_second: 20         # optional, every type; default per type
    timeout_seconds: 5                # optional, every type; default 10
  - id: oncall
    type: pagerduty
    routing_key: {env: PAGERDUTY_ROUTING_KEY}
routing:                              # severity -> output ids; a missing severity goes nowhere
  CRITICAL: [oncall, soc-slack]
  HIGH: [soc-slack]
  MEDIUM: [soc-slack]
retry: {max_attempts: 6, base_delay_seconds: 1, max_delay_seconds: 60, max_retry_after_seconds: 300}
```

An alert whose rule named `destinations` (the rule's `destinations()` or YAML
`OutputIds`) goes to exactly those instead of its severity's outputs. Every id the
file routes to must be defined, checked at start-up; an id only an alert names is
checked when it arrives and, if unknown, dead-lettered with that reason.

Secrets are resolved when the file is loaded (so a missing variable stops the start,
not the first alert) and again on each worker when outputs are built; the config
object itself holds only where secrets live, so it can travel inside the job graph.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import yaml

from transforms.outputs.alert_fields import SEVERITIES
from transforms.outputs.base import Output
from transforms.outputs.delivery import DestinationHealth
from transforms.outputs.pagerduty import PagerDutyOutput
from transforms.outputs.rate_limit import RateLimiter
from transforms.outputs.retry import RetryPolicy
from transforms.outputs.settings import OutputsConfigError, OutputSettings
from transforms.outputs.slack_bot import SlackBotOutput
from transforms.outputs.slack_webhook import SlackWebhookOutput
from transforms.outputs.webhook import WebhookOutput

OUTPUT_TYPES = {
    "slack_webhook": SlackWebhookOutput,
    "slack_bot": SlackBotOutput,
    "webhook": WebhookOutput,
    "pagerduty": PagerDutyOutput,
}
DEFAULT_TIMEOUT_SECONDS = 10.0
RETRY_KEYS = {"max_attempts": "max_attempts", "base_delay_seconds": "base_delay",
              "max_delay_seconds": "max_delay", "max_retry_after_seconds": "max_retry_after"}


@dataclass(frozen=True)
class OutputSpec:
    """One configured output, secrets still unresolved."""

    output_id: str
    output_type: str
    settings: Mapping[str, Any]
    rate_limit_per_second: float | None
    timeout_seconds: float

    def build(self) -> Output:
        settings = OutputSettings(self.output_id, self.settings)
        output = OUTPUT_TYPES[self.output_type].from_settings(settings, self.timeout_seconds)
        settings.finish()
        return output


@dataclass(frozen=True)
class OutputsConfig:
    outputs: Mapping[str, OutputSpec]
    routing: Mapping[str, tuple[str, ...]]
    retry: RetryPolicy

    def route(self, alert: Mapping[str, Any]) -> tuple[str, ...]:
        """Output ids for one alert: the rule's own destinations if it named any, else its severity's."""
        destinations = alert.get("destinations")
        if destinations:
            return tuple(dict.fromkeys(str(output_id) for output_id in destinations))
        return self.routing.get(str(alert.get("severity", "")).upper(), ())

    def check_output_ids(self, output_ids: Iterable[str], where: str) -> None:
        """Start-up check for ids named elsewhere (e.g. rules' `OutputIds`)."""
        unknown = sorted(set(output_ids) - set(self.outputs))
        if unknown:
            raise OutputsConfigError(f"{where} names unknown output ids {', '.join(unknown)}; "
                                     f"configured: {', '.join(sorted(self.outputs)) or 'none'}")

    def build_outputs(self) -> dict[str, Output]:
        return {output_id: spec.build() for output_id, spec in self.outputs.items()}

    def destinations(self) -> dict[str, tuple[RateLimiter, DestinationHealth]]:
        """Fresh per-destination pacing and health for every output."""
        return {output_id: (RateLimiter(spec.rate_limit_per_second), DestinationHealth())
                for output_id, spec in self.outputs.items()}


def load_outputs_config(path: str) -> OutputsConfig:
    """Read and check an `--outputs` file, resolving every secret once to fail early."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
    except OSError as error:
        raise OutputsConfigError(f"cannot read outputs file {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise OutputsConfigError(f"outputs file {path} is not valid YAML: {error}") from None
    config = parse_outputs_config(document, source=path)
    for output in config.build_outputs().values():
        output.close()
    return config


def parse_outputs_config(document: Any, source: str = "outputs config") -> OutputsConfig:
    if not isinstance(document, Mapping):
        raise OutputsConfigError(f"{source}: expected a mapping with 'outputs' and 'routing'")
    unknown = sorted(set(document) - {"outputs", "routing", "retry"})
    if unknown:
        raise OutputsConfigError(f"{source}: unknown top-level keys {', '.join(unknown)}")
    outputs: dict[str, OutputSpec] = {}
    for entry in document.get("outputs") or []:
        spec = _output_spec(entry, source)
        if spec.output_id in outputs:
            raise OutputsConfigError(f"{source}: output id {spec.output_id!r} is defined twice")
        outputs[spec.output_id] = spec
    config = OutputsConfig(outputs=outputs, routing=_routing(document.get("routing") or {}, source),
                           retry=_retry_policy(document.get("retry") or {}, source))
    for severity, output_ids in config.routing.items():
        config.check_output_ids(output_ids, f"{source}: routing.{severity}")
    return config


def _output_spec(entry: Any, source: str) -> OutputSpec:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str) or not entry["id"]:
        raise OutputsConfigError(f"{source}: every output needs a string 'id'")
    output_id = entry["id"]
    output_type = entry.get("type")
    if output_type not in OUTPUT_TYPES:
        raise OutputsConfigError(f"{source}: output {output_id!r} has type {output_type!r}; "
                                 f"expected one of {', '.join(OUTPUT_TYPES)}")
    settings = {key: value for key, value in entry.items()
                if key not in ("id", "type", "rate_limit_per_second", "timeout_seconds")}
    limits = OutputSettings(output_id, entry)
    return OutputSpec(
        output_id=output_id,
        output_type=output_type,
        settings=settings,
        rate_limit_per_second=limits.number("rate_limit_per_second", OUTPUT_TYPES[output_type].DEFAULT_RATE_LIMIT),
        timeout_seconds=limits.number("timeout_seconds", DEFAULT_TIMEOUT_SECONDS),
    )


def _routing(raw: Any, source: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise OutputsConfigError(f"{source}: routing must map severities to lists of output ids")
    routing = {}
    for severity, output_ids in raw.items():
        if str(severity).upper() not in SEVERITIES:
            raise OutputsConfigError(f"{source}: routing has {severity!r}; severities are {', '.join(SEVERITIES)}")
        if not isinstance(output_ids, list) or not all(isinstance(i, str) for i in output_ids):
            raise OutputsConfigError(f"{source}: routing.{severity} must be a list of output ids")
        routing[str(severity).upper()] = tuple(output_ids)
    return routing


def _retry_policy(raw: Any, source: str) -> RetryPolicy:
    if not isinstance(raw, Mapping) or set(raw) - set(RETRY_KEYS):
        raise OutputsConfigError(f"{source}: retry takes only {', '.join(RETRY_KEYS)}")
    try:
        return RetryPolicy(**{RETRY_KEYS[key]: value for key, value in raw.items()})
    except (TypeError, ValueError) as error:
        raise OutputsConfigError(f"{source}: retry: {error}") from None
