"""A Panther-compatible detection rule engine, free of Beam so it runs anywhere.

    bundle = load_rule_bundle(["rules/"])        # file texts, picklable: ship it in the job
    engine = RuleEngine(bundle)                  # compile once per worker
    result = engine.evaluate(record)             # .matches and .errors, never raises for a rule
"""
from transforms.rules_engine.bundle import (
    BUNDLED_HELPERS_DIR,
    BUNDLED_RULES_DIR,
    RuleBundle,
    RuleLoadError,
    load_rule_bundle,
)
from transforms.rules_engine.engine import RuleEngine
from transforms.rules_engine.results import EvaluationResult, RuleError, RuleMatch

__all__ = [
    "BUNDLED_HELPERS_DIR",
    "BUNDLED_RULES_DIR",
    "EvaluationResult",
    "RuleBundle",
    "RuleEngine",
    "RuleError",
    "RuleLoadError",
    "RuleMatch",
    "load_rule_bundle",
]
