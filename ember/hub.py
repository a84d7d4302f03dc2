"""ember.hub: download checkpoints by URL into a local cache and load them (torch.hub's weights API).

Where files go (Note [hub cache folder]):
- `set_dir(d)` wins; otherwise `$EMBER_HOME/hub`, otherwise `$TORCH_HOME/hub` (PyTorch's override, so a
  folder shared with PyTorch is used as is), otherwise `$XDG_CACHE_HOME/ember/hub` (`~/.cache/ember/hub`).
- Checkpoints live in `<hub dir>/checkpoints/<file name from the URL>`.
- When looking for a file already downloaded, PyTorch's default folder
  (`$XDG_CACHE_HOME/torch/hub/checkpoints`) is searched as well, so weights fetched by torchvision are
  reused without downloading them again. New downloads always go to ember's folder.

A download streams into a temporary file next to its destination and is renamed into place only after it
is complete and, with `check_hash=True`, after the SHA-256 of its bytes starts with the hex digits that
follow the last '-' in the file name (`resnet18-f37072fd.pth`). A file whose hash does not match is
deleted and reported. Loading goes through `ember.load`, with `weights_only=True` by default (a deliberate
difference from torch.hub, whose default is False): code in a downloaded file is never executed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import uuid
from typing import Any
from urllib.error import URLError
from urllib.parse import urlparse
from urllib.request import Request, urlopen

__all__ = ["download_url_to_file", "get_dir", "load_state_dict_from_url", "set_dir"]

# the hex digits between the last '-' and the extension: "resnet18-f37072fd.pth" -> "f37072fd"
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
_CHUNK = 128 * 1024
_hub_dir: str | None = None


def _cache_base() -> str:
    """$XDG_CACHE_HOME, or ~/.cache."""
    return os.path.expanduser(os.getenv("XDG_CACHE_HOME", os.path.join("~", ".cache")))


def get_dir() -> str:
    """The folder where downloaded checkpoints are stored (see Note [hub cache folder] above)."""
    if _hub_dir is not None:
        return _hub_dir
    for env in ("EMBER_HOME", "TORCH_HOME"):
        home = os.getenv(env)
        if home:
            return os.path.join(os.path.expanduser(home), "hub")
    return os.path.join(_cache_base(), "ember", "hub")


def set_dir(d: str | os.PathLike) -> None:
    """Use d as the hub folder from now on (checkpoints go to d/checkpoints)."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def _torch_default_checkpoints() -> str:
    """PyTorch's default checkpoint folder ($XDG_CACHE_HOME/torch/hub/checkpoints)."""
    return os.path.join(_cache_base(), "torch", "hub", "checkpoints")


class _Progress:
    """A one-line progress bar on stderr (bytes done / total, percent)."""

    def __init__(self, total: int | None, enabled: bool):
        self.total, self.done, self.enabled = total, 0, enabled

    def update(self, n: int) -> None:
        """Count n more bytes and redraw."""
        self.done += n
        if not self.enabled:
            return
        mib = self.done / 2**20
        if self.total:
            pct = 100.0 * self.done / self.total
            bar = "#" * int(pct / 4)
            sys.stderr.write(f"\r{pct:5.1f}% |{bar:25s}| {mib:.1f}/{self.total / 2**20:.1f} MiB")
        else:
            sys.stderr.write(f"\r{mib:.1f} MiB")
        sys.stderr.flush()

    def close(self) -> None:
        """End the line."""
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None, progress: bool = True) -> None:
    """Download url to the path dst through a temporary file; check the SHA-256 prefix when one is given.

    Raises RuntimeError when the hash does not match (nothing is left at dst) and when the URL cannot be
    reached (the message names the URL and dst, where the file can be placed by hand).
    """
    dst = os.path.expanduser(os.fspath(dst))
    tmp = f"{dst}.{uuid.uuid4().hex}.partial"
    sha256 = hashlib.sha256() if hash_prefix is not None else None
    try:
        try:
            response = urlopen(Request(url, headers={"User-Agent": "ember.hub"}))
        except (URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RuntimeError(
                f"could not download {url} ({reason}). Without network access, place the file at {dst} "
                "by hand and it will be used from there.") from exc
        with response, open(tmp, "wb") as f:
            length = response.headers.get("Content-Length")
            bar = _Progress(int(length) if length else None, progress)
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                f.write(chunk)
                if sha256 is not None:
                    sha256.update(chunk)
                bar.update(len(chunk))
            bar.close()
        if sha256 is not None:
            digest = sha256.hexdigest()
            if digest[: len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest}"); '
                                   f"the download of {url} was deleted")
        shutil.move(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _find_cached(filename: str, model_dir: str, explicit_dir: bool) -> str | None:
    """The path of an already downloaded file, looking in PyTorch's default folder too (unless model_dir was given)."""
    candidates = [os.path.join(model_dir, filename)]
    if not explicit_dir:
        candidates.append(os.path.join(_torch_default_checkpoints(), filename))
    for path in candidates:
        if os.path.isfile(path):
            return path
    return None


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location=None, progress: bool = True,
                             check_hash: bool = False, file_name: str | None = None,
                             weights_only: bool = True) -> dict[str, Any]:
    """Load the checkpoint at url, downloading it into the hub cache first unless it is already there.

    Args:
        url: where the file is published.
        model_dir: folder to keep it in; default `get_dir()/checkpoints`.
        map_location: passed to `ember.load`.
        progress: show a progress bar on stderr while downloading.
        check_hash: verify that the file's SHA-256 starts with the hex digits after the last '-' of its name.
        file_name: name for the cached file (default: the last part of the URL).
        weights_only: passed to `ember.load`; True by default (torch.hub's default is False).
    """
    from . import serialization  # imported here: ember.hub is usable before the rest of ember finished loading

    explicit_dir = model_dir is not None
    model_dir = os.path.expanduser(os.fspath(model_dir)) if explicit_dir else os.path.join(get_dir(), "checkpoints")
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached = _find_cached(filename, model_dir, explicit_dir)
    if cached is None:
        os.makedirs(model_dir, exist_ok=True)
        cached = os.path.join(model_dir, filename)
        sys.stdout.write(f'Downloading: "{url}" to {cached}\n')
        hash_prefix = None
        if check_hash:
            match = HASH_REGEX.search(filename)
            hash_prefix = match.group(1) if match else None
        download_url_to_file(url, cached, hash_prefix, progress=progress)
    return serialization.load(cached, map_location=map_location, weights_only=weights_only)
