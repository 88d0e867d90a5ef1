"""streams.stages.minhash: datasketch without scipy.integrate (≈40 MB per worker), which it still gets on demand."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import streams.agents  # the worker's modules
print("scipy.integrate" in sys.modules)
from streams.stages import dedupe
index = dedupe.new_index()
sig = dedupe.signature("la stessa frase ripetuta per vedere se il duplicato viene trovato davvero qui")
dedupe.index_add(index, "a", sig)
print(index.query(sig) == {"a"})  # signatures and the index work without it
from datasketch import MinHashLSH
print(MinHashLSH(threshold=0.8, num_perm=128).b > 0)  # datasketch's own parameter search: the real scipy
"""


def test_the_worker_imports_datasketch_without_scipy_and_scipy_still_comes_on_demand() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300, check=True)
    lines = done.stdout.split()
    assert lines[0] == "False", done.stdout  # not imported with the worker
    assert lines[1] == "True", done.stdout
    assert lines[-1] == "True", done.stdout  # imported when datasketch needs it
