"""datasketch's MinHash, imported without scipy.

datasketch imports scipy.integrate as it is imported (≈40 MB resident in every worker) only to work out LSH
parameters from a threshold, for its MinHashLSH; the index here is dedupe.BandIndex, with its parameters given
(dedupe.BANDS, dedupe.ROWS). So while datasketch is imported, scipy.integrate is a stand-in whose `quad` imports
the real one if it is ever called. Import MinHash from here, never from datasketch."""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


def _quad_on_demand(*args: Any, **kwargs: Any) -> Any:
    return importlib.import_module("scipy.integrate").quad(*args, **kwargs)


def _import_datasketch_without_scipy() -> None:
    if "datasketch" in sys.modules or "scipy.integrate" in sys.modules:
        return
    stand_in = types.ModuleType("scipy.integrate")
    setattr(stand_in, "quad", _quad_on_demand)  # noqa: B010 - a module attribute, set on a plain module
    sys.modules["scipy.integrate"] = stand_in
    try:
        importlib.import_module("datasketch")
    finally:
        if sys.modules.get("scipy.integrate") is stand_in:
            del sys.modules["scipy.integrate"]


_import_datasketch_without_scipy()

from datasketch import MinHash  # noqa: E402 - after the stand-in is in place

__all__ = ["MinHash"]
