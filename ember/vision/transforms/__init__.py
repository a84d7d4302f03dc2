"""Placeholder (issue 7)."""
