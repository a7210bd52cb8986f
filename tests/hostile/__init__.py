"""Hostile submissions and the builder that turns them into notebooks (see corpus.py)."""
