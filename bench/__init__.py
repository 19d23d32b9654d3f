"""Benchmarks. Run `python bench/webhook.py` (or `make bench`); see bench/README.md."""
