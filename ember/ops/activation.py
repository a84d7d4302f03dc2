"""Placeholder: softmax family and activations at ember.* / Tensor.* level (issue 3)."""
