"""Download and archive helpers (torchvision.datasets.utils): checksums, streaming downloads, extraction.

A download streams into a temporary file next to its destination, is checked against the published MD5,
and only then is renamed into place; a file whose checksum fails is deleted and reported. Extraction goes
into a temporary folder first and moves the finished entries into place.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import os
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable

__all__ = ["calculate_md5", "check_md5", "check_integrity", "download_url", "extract_archive",
           "download_and_extract_archive", "verify_str_arg", "iterable_to_str"]

USER_AGENT = "ember/vision"
_CHUNK = 1024 * 1024


def calculate_md5(fpath: str | os.PathLike, chunk_size: int = _CHUNK) -> str:
    """Hex MD5 digest of a file, read in chunks."""
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath: str | os.PathLike, md5: str, **kwargs) -> bool:
    """True when the file's MD5 equals md5."""
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath: str | os.PathLike, md5: str | None = None) -> bool:
    """True when the file exists and (if md5 is given) its checksum matches."""
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


class _Progress:
    """tqdm when installed, else a one-line bar on stderr."""

    def __init__(self, total: int | None, desc: str) -> None:
        self.total, self.done, self.desc, self._last = total, 0, desc, 0.0
        try:
            from tqdm import tqdm
        except ImportError:
            self._bar = None
        else:
            self._bar = tqdm(total=total, unit="B", unit_scale=True, desc=desc)

    def update(self, n: int) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        if now - self._last < 0.2 and self.done != self.total:
            return
        self._last = now
        if self.total:
            frac = self.done / self.total
            bar = "#" * int(30 * frac)
            sys.stderr.write(f"\r{self.desc}: [{bar:<30}] {100 * frac:5.1f}% of {self.total / 1e6:.1f} MB")
        else:
            sys.stderr.write(f"\r{self.desc}: {self.done / 1e6:.1f} MB")
        sys.stderr.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        else:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _urlretrieve(url: str, fpath: str, timeout: float = 60.0) -> None:
    """Stream url into fpath with a progress bar."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(fpath, "wb") as out:
        length = response.headers.get("Content-Length")
        progress = _Progress(int(length) if length else None, os.path.basename(fpath))
        try:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                progress.update(len(chunk))
        finally:
            progress.close()


def download_url(url: str, root: str | os.PathLike, filename: str | None = None, md5: str | None = None,
                 max_redirect_hops: int = 3) -> None:
    """Download url to root/filename unless a verified copy is already there.

    Raises urllib.error.URLError (or OSError) when the server cannot be reached, and RuntimeError when the
    downloaded file fails its checksum (the bad file is deleted).
    """
    root = os.path.expanduser(root)
    if not filename:
        filename = os.path.basename(url)
    fpath = os.fspath(os.path.join(root, filename))
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return
    fd, tmp_path = tempfile.mkstemp(prefix=f".{filename}.", suffix=".part", dir=root)
    os.close(fd)
    try:
        print(f"Downloading {url} to {fpath}", file=sys.stderr)
        try:
            _urlretrieve(url, tmp_path)
        except (urllib.error.URLError, OSError):
            if not url.startswith("https:"):
                raise
            url = url.replace("https:", "http:", 1)
            _urlretrieve(url, tmp_path)
        if md5 is not None:
            actual = calculate_md5(tmp_path)
            if actual != md5:
                raise RuntimeError(f"File not found or corrupted: the download of {url} has MD5 {actual}, expected "
                                   f"{md5}; the corrupted file was deleted.")
        os.replace(tmp_path, fpath)
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)


def _archive_kind(path: str) -> tuple[str, str]:
    """(kind, suffix) of an archive path: kind in tar, zip, gz, bz2, xz."""
    lower = path.lower()
    for suffix in (".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz", ".tar"):
        if lower.endswith(suffix):
            return "tar", suffix
    for suffix, kind in ((".zip", "zip"), (".gz", "gz"), (".bz2", "bz2"), (".xz", "xz")):
        if lower.endswith(suffix):
            return kind, suffix
    raise RuntimeError(f"Archive type of {path} is not supported (tar, tar.gz, tgz, tar.bz2, tar.xz, zip, gz, bz2, xz)")


def _move_into_place(tmp_dir: str, to_path: str) -> None:
    for name in os.listdir(tmp_dir):
        src, dst = os.path.join(tmp_dir, name), os.path.join(to_path, name)
        if os.path.isdir(dst) and not os.path.islink(dst):
            if os.path.isdir(src):
                _move_into_place(src, dst)  # merge into an existing folder
                continue
            shutil.rmtree(dst)
        os.replace(src, dst)


def _check_inside(tmp_dir: str, member: str, to_path: str) -> None:
    target = os.path.realpath(os.path.join(tmp_dir, member))
    if not target.startswith(os.path.realpath(tmp_dir) + os.sep):
        raise RuntimeError(f"Refusing to extract {member!r} outside {to_path}")


def extract_archive(from_path: str | os.PathLike, to_path: str | os.PathLike | None = None,
                    remove_finished: bool = False) -> str:
    """Extract a tar/zip archive or decompress a .gz/.bz2/.xz file into to_path; returns to_path."""
    from_path = os.fspath(from_path)
    to_path = os.path.dirname(from_path) if to_path is None else os.fspath(to_path)
    os.makedirs(to_path, exist_ok=True)
    kind, suffix = _archive_kind(from_path)
    tmp_dir = tempfile.mkdtemp(prefix=".extract-", dir=to_path)
    try:
        if kind == "tar":
            with tarfile.open(from_path) as tar:
                if hasattr(tarfile, "data_filter"):
                    tar.extractall(tmp_dir, filter="data")  # refuses absolute paths, '..' escapes, devices
                else:  # Python without extraction filters: check the member paths ourselves
                    for member in tar.getmembers():
                        _check_inside(tmp_dir, member.name, to_path)
                        if member.issym() or member.islnk() or member.isdev():
                            raise tarfile.TarError(f"Refusing to extract link or device {member.name!r}")
                    tar.extractall(tmp_dir)
        elif kind == "zip":
            with zipfile.ZipFile(from_path) as archive:
                for member in archive.namelist():
                    _check_inside(tmp_dir, member, to_path)
                archive.extractall(tmp_dir)
        else:
            opener = {"gz": gzip.open, "bz2": bz2.open, "xz": lzma.open}[kind]
            out_name = os.path.basename(from_path)[:-len(suffix)]
            with opener(from_path, "rb") as src, open(os.path.join(tmp_dir, out_name), "wb") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)
        _move_into_place(tmp_dir, to_path)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(url: str, download_root: str | os.PathLike,
                                 extract_root: str | os.PathLike | None = None, filename: str | None = None,
                                 md5: str | None = None, remove_finished: bool = False) -> None:
    """download_url, then extract_archive into extract_root (default: download_root)."""
    download_root = os.path.expanduser(download_root)
    if extract_root is None:
        extract_root = download_root
    if not filename:
        filename = os.path.basename(url)
    download_url(url, download_root, filename, md5)
    archive = os.path.join(download_root, filename)
    extract_archive(archive, extract_root, remove_finished)


def _download_archive(url: str, root: str, filename: str, md5: str | None, place_at: str) -> None:
    """download_and_extract_archive; a network or file error becomes download_failed_error's RuntimeError."""
    try:
        download_and_extract_archive(url, root, filename=filename, md5=md5)
    except (urllib.error.URLError, OSError) as e:
        raise download_failed_error(filename, [(url, e)], place_at) from e


def _all_intact(folder: str, files: list[list[str]]) -> bool:
    """Whether every [name, md5] of files is in folder with that checksum."""
    return all(check_integrity(os.path.join(folder, name), md5) for name, md5 in files)


def iterable_to_str(iterable: Iterable) -> str:
    """'a', 'b', 'c' (for error messages)."""
    return "'" + "', '".join([str(item) for item in iterable]) + "'"


def verify_str_arg(value: str, arg: str | None = None, valid_values: Iterable[str] | None = None,
                   custom_msg: str | None = None) -> str:
    """Check that value is a str among valid_values, with torchvision's error messages."""
    if not isinstance(value, str):
        msg = "Expected type str" if arg is None else f"Expected type str for argument {arg}"
        raise ValueError(f"{msg}, but got type {type(value)}.")
    if valid_values is None:
        return value
    if value not in valid_values:
        if custom_msg is not None:
            raise ValueError(custom_msg)
        raise ValueError(f"Unknown value '{value}' for argument {arg}. Valid values are "
                         f"{{{iterable_to_str(valid_values)}}}.")
    return value


def download_failed_error(filename: str, attempts: list[tuple[str, BaseException]], place_at: str) -> RuntimeError:
    """A RuntimeError naming every URL tried, its error, and where to put the file by hand."""
    lines = [f"Error downloading {filename}:"]
    for url, err in attempts:
        lines.append(f"Tried {url}, got:\n{err}")
    lines.append(f"Download {filename} by hand and place it at {place_at}")
    return RuntimeError("\n".join(lines))
