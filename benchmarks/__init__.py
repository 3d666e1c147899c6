"""Benchmarks: VRPTW reference sets and peers (PyVRP). Run from a source checkout."""
