"""Known vulnerabilities in requirements.lock, from PyPI's own advisory data, where pip-audit cannot run.

pip-audit asks PyPI for each pinned release (/pypi/<name>/<version>/json) or OSV. Some networks only reach a PyPI
mirror that serves each project's page (/pypi/<name>/json: its latest release, with PyPI's `vulnerabilities`
for that release) and nothing else. This script uses what that page says: a pinned release that is the latest
one is checked; any other is listed as not checked. Exit code 1 if a checked release has a known vulnerability,
2 if a page could not be read.

    .venv/bin/python scripts/audit_latest.py [requirements.lock]
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def pins(lock: Path) -> list[tuple[str, str]]:
    out = []
    for line in lock.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            out.append((name.strip(), version.strip()))
    return out


def project_page(name: str) -> dict[str, object]:
    with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=30) as response:
        page: dict[str, object] = json.load(response)
    return page


def check(pin: tuple[str, str]) -> tuple[str, str, str, list[str]]:
    """(name, version, verdict, advisories): verdict is "ok", "VULNERABLE", "not checked (latest X)" or an error."""
    name, version = pin
    try:
        page = project_page(name)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return name, version, f"unreadable: {exc}", []
    latest = str(page["info"]["version"])  # type: ignore[index]
    if latest != version:
        return name, version, f"not checked (latest {latest})", []
    advisories = [str(v.get("id")) for v in page.get("vulnerabilities") or []]  # type: ignore[union-attr]
    return name, version, "VULNERABLE" if advisories else "ok", advisories


def main(lock: Path) -> int:
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(check, pins(lock)))
    for name, version, verdict, advisories in results:
        if verdict != "ok":
            print(f"{name}=={version}: {verdict} {' '.join(advisories)}".rstrip())
    checked = [r for r in results if r[2] in ("ok", "VULNERABLE")]
    vulnerable = [r for r in results if r[2] == "VULNERABLE"]
    unreadable = [r for r in results if r[2].startswith("unreadable")]
    print(f"{len(checked)} of {len(results)} pinned releases checked (the latest ones), "
          f"{len(vulnerable)} with known vulnerabilities; {len(results) - len(checked)} not checked")
    return 1 if vulnerable else 2 if unreadable else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "requirements.lock")))
