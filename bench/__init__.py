"""Benchmarks: ``python -m bench [name...]`` prints figures; BENCHMARKS.md records them.

Each benchmark is a module ``bench/bench_<name>.py`` with a ``run() -> dict`` function. They are
never part of the test suite: performance is measured here, not asserted in timed tests.
"""
