"""The read-only containers events are made of, for isinstance checks and type hints."""
from transforms.rules_engine.event import ImmutableCaseInsensitiveDict, ImmutableList, json_default

json_encoder = json_default

__all__ = ["ImmutableCaseInsensitiveDict", "ImmutableList", "json_encoder"]
