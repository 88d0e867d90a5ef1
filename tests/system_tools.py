"""The Debian tools some tests run for real (`make test` installs them with apt-get when missing)."""

from __future__ import annotations

import shutil

import pytest


def system_tool(name: str) -> str:
    """The path of `name`, or a failing test that says how to install it (never a silent skip)."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: `make test` installs it (make system-deps: apt-get install "
                    "prometheus docker-compose stunnel4 openssl)")
    return path
