"""Alert outputs: where alert documents go after dedup, and how they get there reliably.

Pure Python, no Beam: one module per destination behind the `Output` interface
(`base.py`), one retry policy for all of them (`retry.py`), a per-destination rate
limiter (`rate_limit.py`), the delivery loop tying those together (`delivery.py`),
routing from the `--outputs` YAML file (`routing.py`), the dead-letter store for
alerts that could not be delivered (`dead_letters.py`) and the alert archive in the
lake (`archive.py`). `transforms/deliver.py` is the thin Beam shell around them.
"""
