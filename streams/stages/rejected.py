"""The one value a stage returns instead of raising on bad input."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rejected:
    """Input a stage refuses. `reason` is a short, bounded label (a metric label and DLQ header);
    `detail` says what exactly was wrong, for people."""

    reason: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason
