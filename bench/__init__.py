"""Benchmarks and load generators for Mend (not part of the test suite): see docs/benchmarks.md."""
