"""The `ember` command line: train (the demo), eval, run (PyTorch scripts on ember) and info.

`python -m ember.cli train` trains the tutorial CNN on scikit-learn's digits; see `ember --help`.
"""
