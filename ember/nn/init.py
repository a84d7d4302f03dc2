"""Placeholder: filled in by the nn work (issue 3)."""
