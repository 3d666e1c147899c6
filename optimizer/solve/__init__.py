"""Solvers: the project's own routing and planning engines."""
