"""Benchmarks of Maillage (`make bench`): figures are written to docs/benchmarks.md."""
