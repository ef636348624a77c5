"""Only repositories touch MongoDB collections: outside market/, product code reaches data through
repository methods. import-linter checks the layers; this checks what it cannot see, attribute access on a
store. Tests and benchmarks may read collections directly, to set up data and to measure the raw server."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_CODE = ("api", "cli", "schema", "search", "workers")
RAW_ACCESS = re.compile(
    r"\.collection\b|\bstore\.(db|client)\b|\.db\[|"
    r"\bstore\.trade\.(inquiries|quotations|messages|deals|events)\b(?!_)"
)


def raw_accesses(root: Path) -> list[str]:
    found = []
    for package in PRODUCT_CODE:
        for path in sorted((root / package).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if RAW_ACCESS.search(line):
                    found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


def test_product_code_outside_market_touches_no_collection() -> None:
    assert raw_accesses(ROOT) == []


def test_the_check_sees_raw_access(tmp_path: Path) -> None:
    for package in PRODUCT_CODE:
        (tmp_path / package).mkdir()
    (tmp_path / "schema" / "leak.py").write_text("docs = await ctx.store.trade.deals.find({})\n", encoding="utf-8")
    (tmp_path / "api" / "leak.py").write_text("await store.db['x'].find_one()\n", encoding="utf-8")
    assert [line.split(":")[0] for line in raw_accesses(tmp_path)] == ["api/leak.py", "schema/leak.py"]
