"""Syndicated and near-duplicate copies: MinHash (datasketch) over word 5-shingles of the cleaned body.
A copy of an article seen within the window gets duplicate_of = the first article's id."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import numpy as np

from streams.stages.minhash import MinHash

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
    walk), as JSON ~0.9 KB; packed it is one 536-character string."""
    return base64.b64encode(np.asarray(values, dtype="<u4").tobytes()).decode("ascii")


def packed_bytes(sig: Signature | list[int]) -> bytes:
    """The little-endian uint32 bytes of a signature, packed or as the list of ints entries held before (still
    read)."""
    if isinstance(sig, str):
        return base64.b64decode(sig)
    return np.asarray(sig, dtype="<u4").tobytes()


def values_of(sig: Signature | list[int]) -> np.ndarray:
    """The hash values of a signature (either form)."""
    return np.frombuffer(packed_bytes(sig), dtype="<u4").astype(np.uint64)


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


class BandIndex:
    """The LSH index of originals: for each of BANDS bands of ROWS hash values, a dict from the band's hash to the
    article (or articles) with that band; articles sharing a band are candidates, verified with `similarity`.
    datasketch's MinHashLSH finds the same candidates, but its in-memory storage keeps a set and a 40-byte key for
    every band of every article: 7.3 KB an article (measured), 730 MB for 100,000 articles in the dedupe window.
    The band hashes are Python's `hash` of the band's bytes, so the index is only ever built in-process (it is a
    cache of the `seen` entries, never stored)."""

    def __init__(self) -> None:
        self.tables: list[dict[int, str | tuple[str, ...]]] = [{} for _ in range(BANDS)]
        self.keys: dict[str, Signature | list[int]] = {}  # article id -> its signature (the entry's own object)

    def insert(self, article_id: str, sig: Signature | list[int]) -> None:
        self.keys[article_id] = sig
        for table, band in zip(self.tables, band_hashes(sig), strict=True):
            held = table.get(band)
            table[band] = article_id if held is None else (*_ids(held), article_id)

    def remove(self, article_id: str) -> None:
        for table, band in zip(self.tables, band_hashes(self.keys.pop(article_id)), strict=True):
            rest = tuple(a for a in _ids(table.get(band)) if a != article_id)
            if not rest:
                table.pop(band, None)
            else:
                table[band] = rest[0] if len(rest) == 1 else rest

    def query(self, sig: Signature | list[int]) -> set[str]:
        found: set[str] = set()
        for table, band in zip(self.tables, band_hashes(sig), strict=True):
            found.update(_ids(table.get(band)))
        return found


def _ids(held: str | tuple[str, ...] | None) -> tuple[str, ...]:
    """One id is held as itself (most bands belong to one article), more as a tuple."""
    if held is None:
        return ()
    return (held,) if isinstance(held, str) else held


def band_hashes(sig: Signature | list[int]) -> tuple[int, ...]:
    data = packed_bytes(sig)
    width = ROWS * 4
    return tuple(hash(data[start:start + width]) for start in range(0, BANDS * width, width))


def new_index() -> BandIndex:
    return BandIndex()


def index_add(index: BandIndex, article_id: str, sig: Signature | list[int]) -> None:
    if len(values_of(sig)) == NUM_PERM and article_id not in index.keys:
        index.insert(article_id, sig)


def index_remove(index: BandIndex, article_id: str) -> None:
    if article_id in index.keys:
        index.remove(article_id)


def index_originals(index: BandIndex, seen: Iterable[tuple[str, Mapping[str, Any]]]) -> BandIndex:
    """Add the originals among `seen` entries that still carry a signature to the index (copies point at them):
    the index is a cache of the `seen` state (clean.rebuild_in_steps)."""
    for article_id, entry in seen:
        if entry.get("duplicate_of") is None and entry.get("signature"):
            index_add(index, article_id, entry["signature"])
    return index


def find_original(article_id: str, sig: Signature, index: BandIndex, seen: Mapping[str, Mapping[str, Any]],
                  threshold: float) -> str | None:
    """The earliest-seen original this article copies, or None. Never the article itself."""
    if not sig:
        return None
    best: tuple[float, str] | None = None
    for candidate in index.query(sig):
        if candidate == article_id:
            continue
        entry = seen.get(candidate)
        if not entry or not entry.get("signature"):
            continue
        if similarity(sig, entry["signature"]) >= threshold:
            key = (float(entry.get("seen_at", 0.0)), candidate)
            best = key if best is None or key < best else best
    return best[1] if best else None
