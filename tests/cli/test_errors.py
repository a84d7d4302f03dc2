"""`ember`'s argument errors: argparse's exit code 2, a one-line message and exit code 1 for the rest."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ember.cli.__main__ import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("argv", [
    [], ["fly"], ["train", "--epochs", "0"], ["train", "--epochs", "two"], ["train", "--batch-size", "-1"],
    ["train", "--lr", "0"], ["train", "--device", "tpu"], ["train", "--workers", "-1"], ["eval"], ["run"],
])
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    assert "error:" in capsys.readouterr().err


def _one_line_error(argv, capsys, expected: str) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert expected in err, err


def test_unknown_dataset(tmp_path, capsys):
    _one_line_error(["train", "--dataset", "imagenet", "--out", str(tmp_path)], capsys,
                    "unknown dataset 'imagenet' (choose from digits, mnist, fashion-mnist, cifar10, imagefolder:PATH)")


def test_unknown_model(tmp_path, capsys):
    _one_line_error(["train", "--model", "vgg", "--out", str(tmp_path)], capsys,
                    "unknown model 'vgg' (choose from lenet, resnet18, mlp)")


def test_missing_image_folder(tmp_path, capsys):
    missing = str(tmp_path / "nowhere")
    _one_line_error(["train", "--dataset", f"imagefolder:{missing}", "--out", str(tmp_path / "o")], capsys,
                    f"image folder '{missing}' does not exist")


def test_imagefolder_without_path(tmp_path, capsys):
    _one_line_error(["train", "--dataset", "imagefolder", "--out", str(tmp_path)], capsys,
                    "--dataset imagefolder needs a folder: --dataset imagefolder:PATH")


def test_output_folder_under_a_file(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    _one_line_error(["train", "--out", str(blocker / "run")], capsys, f"output folder '{blocker / 'run'}' is not "
                    "writable")


def test_output_folder_is_a_file(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    _one_line_error(["train", "--out", str(blocker)], capsys, f"output folder '{blocker}' is a file")


def test_resume_without_checkpoint(tmp_path, capsys):
    _one_line_error(["train", "--resume", "--out", str(tmp_path)], capsys,
                    f"no checkpoint at '{tmp_path / 'checkpoint.pt'}'")


def test_eval_missing_and_foreign_checkpoint(tmp_path, capsys):
    _one_line_error(["eval", str(tmp_path / "none.pt")], capsys, "no checkpoint at")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a zip")
    _one_line_error(["eval", str(junk)], capsys, f"cannot read checkpoint '{junk}'")


def test_run_missing_script(tmp_path, capsys):
    _one_line_error(["run", str(tmp_path / "nope.py")], capsys, "no such script")


def test_cuda_when_unavailable(tmp_path, capsys):
    import ember

    if ember.cuda.is_available():
        pytest.skip("a GPU is usable here")
    _one_line_error(["train", "--device", "cuda", "--out", str(tmp_path)], capsys, "--device cuda: CUDA is not usable")


def test_real_process_exit_codes(tmp_path):
    """As a real command: exit code 1 with one line on stderr and no traceback; 2 for argparse errors."""
    cmd = [sys.executable, "-m", "ember.cli"]
    bad = subprocess.run([*cmd, "train", "--model", "vgg", "--out", str(tmp_path)], capture_output=True, text=True,
                         cwd=ROOT)
    assert bad.returncode == 1 and bad.stderr == "ember train: error: unknown model 'vgg' (choose from lenet, " \
                                                 "resnet18, mlp)\n"
    usage = subprocess.run([*cmd, "train", "--epochs", "x"], capture_output=True, text=True, cwd=ROOT)
    assert usage.returncode == 2 and "argument --epochs: expected a positive integer, got 'x'" in usage.stderr


@pytest.mark.parametrize("module, message", [
    ("tqdm", "the progress bar needs the 'tqdm' package: pip install 'ember[demo]'"),
    ("matplotlib", "drawing the plots needs the 'matplotlib' package: pip install 'ember[demo]' (or pass --no-plots)"),
    ("sklearn.datasets", "the digits dataset needs the 'scikit-learn' package: pip install 'ember[demo]'"),
])
def test_missing_optional_package_is_named(module, message, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail, as if not installed
    _one_line_error(["train", "--out", str(tmp_path)], capsys, message)
