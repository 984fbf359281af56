"""Benchmarks: scripts that print numbers (``python -m bench`` runs them all)."""
