"""Dagster orchestration: raw → landing assets per feed, dbt models, checks, jobs, schedules."""

import logging

# msoffcrypto logs through the root logger (logging.debug), which installs a root handler that
# then prints every INFO event Dagster propagates. A root handler of our own, at WARNING, comes first.
if not logging.getLogger().handlers:
    _handler = logging.StreamHandler()
    _handler.setLevel(logging.WARNING)
    logging.getLogger().addHandler(_handler)
