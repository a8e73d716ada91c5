"""Installed distributions' versions, looked up once per process (``importlib.metadata`` scans the path
each time: a few milliseconds per name, paid per page when a page's provenance asked for them)."""

from __future__ import annotations

import functools


@functools.cache
def dist_version(dist: str) -> str:
    """The installed version of distribution ``dist``, or "" when it is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return ""
