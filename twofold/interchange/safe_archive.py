"""Reading ZIP archives that came from elsewhere, safely: one checker for ``twofold restore``
and the organisation import.

:func:`check_zip` looks only at the archive's central directory (nothing is expanded or
written) and refuses, with a message naming the entry:

- more than ``max_entries`` entries, or a total expanded size above ``max_bytes``;
- an entry above :data:`RATIO_FLOOR` bytes that expands more than :data:`MAX_RATIO` times its
  compressed size (a zip bomb: a 10 GB run of zeros is refused from its directory entry);
- a name that is absolute (``/x``, ``C:x``), has a ``..`` or ``.`` component, a backslash or a
  NUL, or is empty;
- a symbolic link (the Unix mode kept in the entry's external attributes);
- the same name twice.

:func:`read_verified` then reads one entry, stopping as soon as it grows past the size the
caller expects, and compares its SHA-256; :func:`read_entry` reads one whose size
:func:`check_zip` has bounded. Both answer :class:`ArchiveError` for an entry that cannot be
read (a bad CRC, a damaged deflate stream, encryption, an unknown compression method).
"""

from __future__ import annotations

import hashlib
import stat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import IO

MAX_RATIO = 100  # uncompressed / compressed, for entries above RATIO_FLOOR bytes
RATIO_FLOOR = 1024 * 1024
CHUNK = 1024 * 1024


class ArchiveError(Exception):
    """The archive is unsafe, damaged or not what was expected; nothing was written."""


def check_name(name: str) -> None:
    """Refuse an entry name that could land outside the folder it is extracted into."""
    if "\\" in name or "\x00" in name:
        raise ArchiveError(f"entry {name!r} has a backslash or NUL in its name")
    path = PurePosixPath(name)
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise ArchiveError(f"entry {name!r} has an absolute path")
    if any(part in ("..", ".") for part in path.parts) or not path.parts:
        raise ArchiveError(f"entry {name!r} has a '..' or '.' path component")


def open_zip(source: str | IO[bytes] | object, label: str) -> zipfile.ZipFile:
    """Open ``source`` as a ZIP archive, or raise :class:`ArchiveError` saying it is not one."""
    try:
        return zipfile.ZipFile(source)  # type: ignore[arg-type]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveError(f"{label} is not a readable ZIP archive ({exc})") from exc


def check_zip(zf: zipfile.ZipFile, *, max_entries: int, max_bytes: int) -> dict[str, int]:
    """Check every entry of ``zf`` from its directory; returns ``{name: expanded size}``.

    Raises:
        ArchiveError: naming the first problem found.
    """
    infos = zf.infolist()
    if len(infos) > max_entries:
        raise ArchiveError(f"the archive has {len(infos)} entries (at most {max_entries})")
    total = 0
    sizes: dict[str, int] = {}
    for info in infos:
        check_name(info.filename)
        if info.filename in sizes:
            raise ArchiveError(f"entry {info.filename!r} appears twice")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveError(f"entry {info.filename!r} is a symbolic link")
        sizes[info.filename] = 0 if info.is_dir() else info.file_size
        if info.is_dir():
            continue
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ArchiveError(
                f"entry {info.filename!r} expands {info.file_size // max(info.compress_size, 1)}"
                f" times (at most {MAX_RATIO}): refused as a possible zip bomb"
            )
        total += info.file_size
    if total > max_bytes:
        raise ArchiveError(
            f"the archive expands to {total} bytes, more than the limit of {max_bytes}"
        )
    return sizes


UNREADABLE: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,  # a bad CRC, a damaged header
    zlib.error,  # a damaged deflate stream
    EOFError,  # truncated data
    OSError,
    RuntimeError,  # an encrypted entry ("password required")
    NotImplementedError,  # a compression method zipfile does not have
)
"""What reading an entry of a damaged or foreign archive raises."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return "it is encrypted"
    return f"{exc} ({type(exc).__name__})" if str(exc) else type(exc).__name__


def read_entry(zf: zipfile.ZipFile, name: str) -> bytes:
    """The whole of entry ``name`` (its size already checked, by :func:`check_zip`), or
    :class:`ArchiveError` when it cannot be read: damaged, truncated, encrypted."""
    try:
        return zf.read(name)
    except UNREADABLE as exc:
        raise ArchiveError(f"entry {name!r} cannot be read: {_reason(exc)}") from exc


def iter_verified(zf: zipfile.ZipFile, name: str, size: int, sha256: str) -> Iterator[bytes]:
    """The bytes of entry ``name`` in chunks; stops past ``size`` bytes, checks the SHA-256.

    Raises:
        ArchiveError: the entry is larger than ``size`` or its checksum differs (checked when
            the last chunk has been read, so a consumer must treat what it got as unchecked
            until the iteration ends).
    """
    digest = hashlib.sha256()
    seen = 0
    try:
        with zf.open(name) as source:
            while chunk := source.read(CHUNK):
                seen += len(chunk)
                if seen > size:
                    raise ArchiveError(f"entry {name!r} is larger than the manifest says")
                digest.update(chunk)
                yield chunk
    except UNREADABLE as exc:
        raise ArchiveError(f"entry {name!r} cannot be read: {_reason(exc)}") from exc
    if seen != size or digest.hexdigest() != sha256:
        raise ArchiveError(f"entry {name!r} does not match its checksum: the archive is damaged")


def read_verified(zf: zipfile.ZipFile, name: str, size: int, sha256: str) -> bytes:
    """The whole of entry ``name``, checked against ``size`` and ``sha256``."""
    return b"".join(iter_verified(zf, name, size, sha256))
