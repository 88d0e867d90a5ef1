"""Syndicated and near-duplicate copies: MinHash (datasketch) over word 5-shingles of the cleaned body.
A copy of an article seen within the window gets duplicate_of = the first article's id."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import numpy as np

from streams.stages.minhash import MinHash, MinHashLSH

NUM_PERM = 100
BANDS, ROWS = 20, 5  # LSH candidates from Jaccard ~0.55 up; candidates are then verified
SHINGLE_WORDS = 5
SCHEME = "affine32"  # datasketch 2.x default; stored signatures must be read back with the same scheme
WORD = re.compile(r"\w+")


Signature = str  # NUM_PERM hash values (each < 2**32), little-endian uint32, base64: one string, not 100 ints


def signature(body: str) -> Signature:
    """The MinHash of the body's word 5-shingles (lowercase), packed (`pack`); deterministic across processes.
    Empty for a body without words: such a body is nobody's copy."""
    words = WORD.findall(body.lower())
    if not words:
        return ""
    n = min(SHINGLE_WORDS, len(words))
    shingles = {" ".join(words[i:i + n]).encode() for i in range(len(words) - n + 1)}
    minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME, permutations=permutations())
    minhash.update_batch(list(shingles))
    return pack(minhash.hashvalues)


def pack(values: Any) -> Signature:
    """Hash values as one string. A signature lives in every recent original's `clean-seen` entry, in memory and
    in the changelog: as a list it was 100 Python ints (~3.6 KB, and 100 objects for the garbage collector to
    walk), as JSON ~1 KB; packed it is one 536-character string."""
    return base64.b64encode(np.asarray(values, dtype="<u4").tobytes()).decode("ascii")


def values_of(sig: Signature | list[int]) -> np.ndarray:
    """The hash values of a signature, packed or as the list of ints entries held before (still read)."""
    if isinstance(sig, str):
        return np.frombuffer(base64.b64decode(sig), dtype="<u4").astype(np.uint64)
    return np.asarray(sig, dtype=np.uint64)


@cache
def permutations() -> Any:
    """The hash permutations every MinHash here uses (the same seed each time): made once, not per MinHash (three
    per article, ~0.1 ms each)."""
    return MinHash(num_perm=NUM_PERM, scheme=SCHEME).permutations


def similarity(a: Signature | list[int], b: Signature | list[int]) -> float:
    """Estimated Jaccard similarity of two signatures."""
    first, second = values_of(a), values_of(b)
    if len(first) != len(second) or not len(first):
        return 0.0
    return float(np.mean(first == second))


def new_index() -> MinHashLSH:
    return MinHashLSH(num_perm=NUM_PERM, params=(BANDS, ROWS))


def _minhash(sig: Signature | list[int]) -> MinHash:
    return MinHash(num_perm=NUM_PERM, hashvalues=values_of(sig), scheme=SCHEME,
                   permutations=permutations())


def index_add(index: MinHashLSH, article_id: str, sig: Signature | list[int]) -> None:
    if sig and article_id not in index.keys:
        index.insert(article_id, _minhash(sig))


def index_remove(index: MinHashLSH, article_id: str) -> None:
    if article_id in index.keys:
        index.remove(article_id)


def index_originals(index: MinHashLSH, seen: Iterable[tuple[str, Mapping[str, Any]]]) -> MinHashLSH:
    """Add the originals among `seen` entries that still carry a signature to the index (copies point at them)."""
    for article_id, entry in seen:
        if entry.get("duplicate_of") is None and entry.get("signature"):
            index_add(index, article_id, entry["signature"])
    return index


def rebuild_index(seen: Iterable[tuple[str, Mapping[str, Any]]]) -> MinHashLSH:
    """The LSH index is a cache of the `seen` state."""
    return index_originals(new_index(), seen)


def find_original(article_id: str, sig: Signature, index: MinHashLSH, seen: Mapping[str, Mapping[str, Any]],
                  threshold: float) -> str | None:
    """The earliest-seen original this article copies, or None. Never the article itself."""
    if not sig:
        return None
    best: tuple[float, str] | None = None
    for candidate in index.query(_minhash(sig)):
        if candidate == article_id:
            continue
        entry = seen.get(candidate)
        if not entry or not entry.get("signature"):
            continue
        if similarity(sig, entry["signature"]) >= threshold:
            key = (float(entry.get("seen_at", 0.0)), candidate)
            best = key if best is None or key < best else best
    return best[1] if best else None
