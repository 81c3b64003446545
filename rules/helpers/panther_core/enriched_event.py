"""`from panther_core.enriched_event import PantherEvent`, as rules in the wild write it."""
from transforms.rules_engine.event import PantherEvent

__all__ = ["PantherEvent"]
