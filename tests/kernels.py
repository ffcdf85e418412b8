"""Kernels for tests, on Unix sockets rather than TCP ports.

jupyter_client picks a kernel's five TCP ports by asking the OS for free ones and releasing them
before the kernel binds them; two test processes starting kernels at the same moment (xdist's
workers, or another test run on the machine) can pick the same port ("ZMQError: Address already
in use"). A kernel on Unix sockets in a folder of its own can't collide with anyone.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from jupyter_client.manager import KernelManager

#: A Unix socket's path must fit in 108 bytes; jupyter_client adds "-<port>" to the prefix.
_MAX_PREFIX = 90


class PrivateKernelManager(KernelManager):
    """A KernelManager whose sockets live in a private folder, removed when it shuts down."""

    def __init__(self, **kwargs) -> None:
        folder = tempfile.mkdtemp(prefix="kernel-")
        prefix = os.path.join(folder, "k")
        if len(prefix) > _MAX_PREFIX:  # a long TMPDIR: /tmp is short, and private enough
            shutil.rmtree(folder)
            folder = tempfile.mkdtemp(prefix="kernel-", dir="/tmp")
            prefix = os.path.join(folder, "k")
        self._socket_folder = folder
        super().__init__(transport="ipc", ip=prefix, **kwargs)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._socket_folder, ignore_errors=True)
