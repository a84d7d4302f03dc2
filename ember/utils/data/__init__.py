"""ember.utils.data: datasets, samplers and DataLoader (placeholder for issue 5)."""
