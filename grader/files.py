"""Writing files so that a crash or a full disk never leaves half of one behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


def write_atomic(path: Path, data: str | bytes, mode: int = 0o644) -> None:
    """Write to a temporary file in the same folder, flush it to disk, then rename it over the
    target: readers see the old file or the new one, never a mix. Readable by others (0644) by
    default, since an instructor may read what a learner's kernel wrote."""
    write_atomic_parts(path, (data,), mode)


def write_atomic_parts(path: Path, parts: Iterable[str | bytes], mode: int = 0o644) -> None:
    """`write_atomic` for a file made piece by piece (a class's results.json, one learner at a
    time), so all of it is never in memory at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            for part in parts:
                out.write(part.encode("utf-8") if isinstance(part, str) else part)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
