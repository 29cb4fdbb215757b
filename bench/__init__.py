"""Benchmark scripts: each prints figures (min / median / max over repeated runs); see bench/README.md."""
