"""`claimstream extract` remembers across the files of one run, as the stream does."""

from __future__ import annotations

from pathlib import Path

from streams.offline import process
from streams.sources import read

PAGES = Path(__file__).resolve().parents[1] / "data" / "clean" / "pages"


def test_a_syndicated_copy_in_the_same_run_is_flagged_and_distinct_stories_are_not() -> None:
    names = ["en-caucasus-peace.txt", "en-caucasus-peace-syndicated.html", "en-odesa-port-strike.html",
             "en-odesa-port-attack.txt"]
    loaded = [(item.origin, item.article) for n in names for item in read(str(PAGES / n)) if item.article]
    outcomes = {Path(o.origin).name: o for o in process(loaded, 2_000_000)}
    assert all(o.rejected is None for o in outcomes.values())
    copy_claims = outcomes["en-caucasus-peace-syndicated.html"].claims
    assert copy_claims and {c.duplicate_of for c in copy_claims} == {"en-caucasus-peace.txt"}
    for name in ("en-caucasus-peace.txt", "en-odesa-port-strike.html", "en-odesa-port-attack.txt"):
        assert {c.duplicate_of for c in outcomes[name].claims} <= {None}
