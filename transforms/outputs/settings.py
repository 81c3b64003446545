"""One output's entry in the `--outputs` file, read with clear errors, secrets resolved on demand.

A secret is never written in the file itself, only where to find it:
`{env: NAME}` (an environment variable) or `{file: /path}` (a mounted secret file,
trailing newline stripped). Error messages name the output and the key, never a value.
"""
from __future__ import annotations

import os
from typing import Any, Mapping


class OutputsConfigError(ValueError):
    """The `--outputs` file cannot be used; raised at start-up, before any alert is processed."""


def resolve_secret(source: Any, where: str) -> str:
    """The secret value named by an `{env: NAME}` or `{file: PATH}` source."""
    if not isinstance(source, Mapping) or set(source) not in ({"env"}, {"file"}):
        raise OutputsConfigError(
            f"{where} must be a secret source, {{env: VARIABLE}} or {{file: /path}}, never the secret itself")
    if "env" in source:
        value = os.environ.get(str(source["env"]), "")
        if not value:
            raise OutputsConfigError(f"{where}: environment variable {source['env']} is not set")
        return value.strip()
    try:
        with open(str(source["file"]), encoding="utf-8") as handle:
            value = handle.read().strip()
    except OSError as error:
        raise OutputsConfigError(f"{where}: cannot read secret file {source['file']}: {error.strerror}") from None
    if not value:
        raise OutputsConfigError(f"{where}: secret file {source['file']} is empty")
    return value


class OutputSettings:
    """Typed access to one output's settings; `finish()` rejects keys nobody asked for (typos)."""

    def __init__(self, output_id: str, settings: Mapping[str, Any]):
        self.output_id = output_id
        self._settings = dict(settings)
        self._read: set[str] = set()

    def _where(self, key: str) -> str:
        return f"output {self.output_id!r}: {key}"

    def secret(self, key: str, required: bool = True) -> str | None:
        self._read.add(key)
        if key not in self._settings:
            if required:
                raise OutputsConfigError(f"{self._where(key)} is required")
            return None
        return resolve_secret(self._settings[key], self._where(key))

    def text(self, key: str, default: str | None = None) -> str:
        self._read.add(key)
        value = self._settings.get(key, default)
        if not isinstance(value, str) or not value:
            raise OutputsConfigError(f"{self._where(key)} must be a non-empty string")
        return value

    def number(self, key: str, default: float | None) -> float | None:
        self._read.add(key)
        value = self._settings.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise OutputsConfigError(f"{self._where(key)} must be a positive number")
        return float(value)

    def headers(self, key: str) -> tuple[dict[str, str], list[str]]:
        """Extra HTTP headers and the values among them that came from secret sources (for redaction).

        A value may be plain text or a secret source, so an auth header never sits in the file.
        """
        self._read.add(key)
        raw = self._settings.get(key) or {}
        if not isinstance(raw, Mapping):
            raise OutputsConfigError(f"{self._where(key)} must be a mapping of header name to value")
        headers: dict[str, str] = {}
        secret_values: list[str] = []
        for name, value in raw.items():
            if isinstance(value, str):
                headers[str(name)] = value
            else:
                headers[str(name)] = resolve_secret(value, self._where(f"{key}.{name}"))
                secret_values.append(headers[str(name)])
        return headers, secret_values

    def finish(self) -> None:
        unknown = sorted(set(self._settings) - self._read)
        if unknown:
            raise OutputsConfigError(f"output {self.output_id!r}: unknown settings {', '.join(unknown)}")
