"""`ember info`: the versions, threads and CUDA line agree with what the libraries themselves report."""

from __future__ import annotations

import numpy as np

import ember
from ember.cli.__main__ import main


def test_info_reports_the_setup(capsys):
    assert main(["info"]) == 0
    report = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert report["ember"].startswith(ember.__version__ + " ")
    assert report["numpy"] == np.__version__
    assert report["threads"].startswith(f"{ember.get_num_threads()} (ember.get_num_threads)")
    assert report["cuda usable"].startswith("yes" if ember.cuda.is_available() else "no")
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    assert report["blas"].startswith(blas)
    assert set(report) == {"ember", "python", "platform", "numpy", "cupy", "blas", "threads", "cuda usable"}
