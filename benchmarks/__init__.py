"""Benchmarks: the data generator and the performance suite (see README.md)."""
