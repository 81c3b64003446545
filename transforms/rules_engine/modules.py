"""Turning bundle texts into Python modules, with no files needed on the worker.

Helper modules are served by an import hook from the bundle's texts, so a rule's
`import panther_base_helpers` works as if the helper folders were on `sys.path`.
Sources are registered with `linecache` so tracebacks show the rule's lines.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import linecache
import re
import sys
import threading
import types
from typing import Sequence

from transforms.rules_engine.bundle import HelperSource

_LOCK = threading.RLock()


def _remember_source(path: str, text: str) -> None:
    linecache.cache[path] = (len(text), None, text.splitlines(keepends=True), path)


class _BundleImporter(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds helper modules among the registered bundle texts, ahead of sys.path."""

    def __init__(self) -> None:
        self.sources: dict[str, HelperSource] = {}
        self.packages: set[str] = set()

    def find_spec(self, fullname, path=None, target=None):
        source = self.sources.get(fullname)
        if source is not None:
            return importlib.util.spec_from_loader(
                fullname, self, origin=source.path, is_package=source.is_package
            )
        if fullname in self.packages:
            return importlib.util.spec_from_loader(fullname, self, origin=None, is_package=True)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        source = self.sources.get(module.__name__)
        if source is None:
            return
        module.__file__ = source.path
        _remember_source(source.path, source.python)
        exec(compile(source.python, source.path, "exec"), module.__dict__)

    def get_source(self, fullname: str) -> str | None:
        source = self.sources.get(fullname)
        return source.python if source is not None else None


_IMPORTER = _BundleImporter()


def install_helpers(helpers: Sequence[HelperSource]) -> None:
    """Make `helpers` importable; forget previously imported versions whose text changed."""
    with _LOCK:
        wanted = {helper.module: helper for helper in helpers}
        for name, old in _IMPORTER.sources.items():
            if wanted.get(name) != old:  # dropped or changed since the last bundle
                sys.modules.pop(name, None)
        for name in wanted:
            loaded = sys.modules.get(name)
            if loaded is not None and getattr(loaded, "__loader__", None) is not _IMPORTER:
                sys.modules.pop(name, None)  # imported from elsewhere (e.g. an installed panther_core): ours wins
        _IMPORTER.sources = wanted
        _IMPORTER.packages = {
            ".".join(name.split(".")[:depth]) for name in wanted for depth in range(1, name.count(".") + 1)
        }
        if _IMPORTER not in sys.meta_path:
            sys.meta_path.insert(0, _IMPORTER)


def module_name(kind: str, identifier: str) -> str:
    """A valid, recognisable module name for a rule or data model, e.g. iota_rule_AWS_Console_RootLogin."""
    return f"iota_{kind}_" + re.sub(r"\W", "_", identifier)


def load_module(name: str, python: str, path: str) -> types.ModuleType:
    """Execute `python` as a fresh module named `name`; import errors propagate."""
    module = types.ModuleType(name)
    module.__file__ = path
    _remember_source(path, python)
    with _LOCK:
        sys.modules[name] = module
        try:
            exec(compile(python, path, "exec"), module.__dict__)
        except BaseException:
            sys.modules.pop(name, None)
            raise
    return module
