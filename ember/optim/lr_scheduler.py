"""Learning-rate schedulers (placeholder for issue 4)."""
