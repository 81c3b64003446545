"""iota's stand-in for the `panther_core` names rules import, backed by iota's event classes."""
from transforms.rules_engine.event import PantherEvent

__all__ = ["PantherEvent"]
