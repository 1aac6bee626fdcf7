"""Benchmarks: plain scripts run as `python -m benchmarks.<name>`; they are not tests (see README.md)."""
