"""Generate `market/core/data/provinces.json`, the province reference data read by `market.core.provinces`.

Source: the PyPI package `vietnamadminunits` 1.0.4 (MIT licence, copyright (c) 2025 Tran Ngoc Minh Hieu).
It ships the 63-province layout in force until 30 June 2025, the 34-province layout in force since
1 July 2025 (National Assembly Resolution 202/2025/QH15) and the mapping between the two. The package is
needed only to run this script, never by the application: the generated JSON is committed. Re-run it only
when the source changes (a new release of the package) or when the names and aliases below are edited:

    pip install vietnamadminunits==1.0.4           # into a throwaway environment, not the project's
    python -m market.core.data.build_provinces          # from the repository root; rewrites the JSON
    python -m market.core.data.build_provinces --check  # exit status 1 if the committed JSON is out of date

Codes are the official numeric province codes, as the package records them: the 2025 codes for the
current provinces (Prime Minister's Decision 19/2025/QĐ-TTg) and the old 2-digit codes for the former
ones. Each 2025 code is the old code of one of the provinces merged into it, and the script checks that an
old code reused as a new one always stays with the same province, so both kinds of code resolve without
ambiguity.

The 2025 reorganisation merged whole provinces: no former province was split between two current ones,
and the script fails if the source ever says otherwise.

Corrections to the source, made here:
- Old code 46 is named "Thừa Thiên Huế". The package's 63-province table already uses "Huế", the name the
  province took on 1 January 2025 when it became a centrally-run city, but records made before then use
  the long-standing name. "Huế" stays the current name and resolves directly.
- Code 79 is named "Thành phố Hồ Chí Minh" (the package's short form is "Hồ Chí Minh", kept as an alias).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from market.core.provinces import ProvinceRegistry, province_key
from market.core.text import nfc

SOURCE_PACKAGE = "vietnamadminunits"
LICENCE = "MIT"
EFFECTIVE = "2025-07-01"
OUTPUT = Path(__file__).with_name("provinces.json")

CURRENT_COUNT = 34
FORMER_COUNT = 63

# Names that differ from the source's short names, keyed by code (see the module docstring).
CURRENT_NAMES = {"79": "Thành phố Hồ Chí Minh"}
FORMER_NAMES = {"46": "Thừa Thiên Huế", "79": "Thành phố Hồ Chí Minh"}

# Other names people use for a current province, keyed by its 2025 code. Lookups already ignore accents, case,
# punctuation, spaces and the "tỉnh" / "thành phố" / "tp" prefixes, so only genuinely different spellings,
# abbreviations and common names are listed.
CURRENT_ALIASES: dict[str, list[str]] = {
    "01": ["Thành phố Hà Nội", "Thủ đô Hà Nội", "HN"],
    "46": ["Thành phố Huế"],
    "48": ["Thành phố Đà Nẵng"],
    "66": ["Đắc Lắc"],
    "79": ["Hồ Chí Minh", "TP HCM", "TP.HCM", "TPHCM", "HCM", "HCMC", "Ho Chi Minh City", "Sài Gòn"],
    "92": ["Thành phố Cần Thơ"],
    "31": ["Thành phố Hải Phòng"],
}

# Other names of a former province, keyed by its old code. They resolve to the current province and report the
# former province's name.
FORMER_ALIASES: dict[str, list[str]] = {
    "06": ["Bắc Cạn"],
    "46": ["Thừa Thiên - Huế", "TT Huế", "TT-Huế"],
    "67": ["Đắc Nông"],
    "77": ["Bà Rịa Vũng Tàu", "BRVT", "Vũng Tàu", "Bà Rịa"],
}


class SourceError(RuntimeError):
    """The source data does not have the shape this script relies on."""


def _load_source() -> tuple[str, list[dict[str, Any]], list[dict[str, Any]], dict[str, list[str]]]:
    try:
        version = metadata.version(SOURCE_PACKAGE)
        from vietnamadminunits.database import query
    except (ImportError, metadata.PackageNotFoundError) as exc:
        raise SystemExit(
            f"{SOURCE_PACKAGE} is not installed; install it into a throwaway environment and re-run"
        ) from exc
    columns = "DISTINCT province, provinceShort, provinceCode, provinceKey"
    current: list[dict[str, Any]] = query(f"SELECT {columns} FROM admin_units ORDER BY provinceCode")
    former: list[dict[str, Any]] = query(f"SELECT {columns} FROM admin_units_legacy ORDER BY provinceCode")
    converter = resources.files(SOURCE_PACKAGE).joinpath("data/converter_2025.json").read_text(encoding="utf-8")
    mapping: dict[str, list[str]] = json.loads(converter)["DICT_PROVINCE"]
    return version, current, former, mapping


def _unique(rows: list[dict[str, Any]], field: str, what: str) -> dict[str, dict[str, Any]]:
    by_value: dict[str, dict[str, Any]] = {}
    for row in rows:
        value = str(row[field])
        if value in by_value:
            raise SourceError(f"{what}: duplicate {field} {value}")
        by_value[value] = row
    return by_value


def build(
    version: str,
    current_rows: list[dict[str, Any]],
    former_rows: list[dict[str, Any]],
    mapping: Mapping[str, list[str]],
) -> dict[str, Any]:
    """The provinces.json document, checked. Raises SourceError or ValueError when anything is off."""
    current_by_key = _unique(current_rows, "provinceKey", "current provinces")
    former_by_key = _unique(former_rows, "provinceKey", "former provinces")
    _unique(current_rows, "provinceCode", "current provinces")
    _unique(former_rows, "provinceCode", "former provinces")
    if len(current_by_key) != CURRENT_COUNT:
        raise SourceError(f"expected {CURRENT_COUNT} current provinces, found {len(current_by_key)}")
    if len(former_by_key) != FORMER_COUNT:
        raise SourceError(f"expected {FORMER_COUNT} former provinces, found {len(former_by_key)}")
    if set(mapping) != set(current_by_key):
        raise SourceError("the merger mapping and the current provinces disagree")

    # Each former province must be merged into exactly one current province (no splits).
    current_key_of: dict[str, str] = {}
    for current_key, former_keys in mapping.items():
        for former_key in former_keys:
            if former_key not in former_by_key:
                raise SourceError(f"merger mapping names unknown former province {former_key}")
            if former_key in current_key_of:
                first = current_key_of[former_key]
                raise SourceError(f"former province {former_key} is split between {first} and {current_key}")
            current_key_of[former_key] = current_key
    if missing := set(former_by_key) - set(current_key_of):
        raise SourceError(f"former provinces not in the merger mapping: {sorted(missing)}")

    def current_name(row: dict[str, Any]) -> str:
        return nfc(CURRENT_NAMES.get(row["provinceCode"], row["provinceShort"]))

    def former_name(row: dict[str, Any]) -> str:
        return nfc(FORMER_NAMES.get(row["provinceCode"], row["provinceShort"]))

    current_codes = {row["provinceCode"] for row in current_rows}
    former_entries: list[dict[str, Any]] = []
    for former_key, row in sorted(former_by_key.items(), key=lambda item: item[1]["provinceCode"]):
        current_code = current_by_key[current_key_of[former_key]]["provinceCode"]
        code = row["provinceCode"]
        if code in current_codes and code != current_code:
            raise SourceError(f"old code {code} was reused for a different province")
        entry: dict[str, Any] = {"code": code, "name": former_name(row), "currentCode": current_code}
        if aliases := FORMER_ALIASES.get(code):
            entry["aliases"] = [nfc(alias) for alias in aliases]
        former_entries.append(entry)

    provinces: list[dict[str, Any]] = []
    for row in sorted(current_rows, key=lambda r: r["provinceCode"]):
        code = row["provinceCode"]
        name = current_name(row)
        merged = [entry for entry in former_entries if entry["currentCode"] == code]
        # The province's own predecessor first, then the others by old code.
        merged.sort(key=lambda entry: (province_key(entry["name"]) != province_key(name), entry["code"]))
        provinces.append(
            {
                "code": code,
                "name": name,
                "kind": "city" if str(row["province"]).startswith("Thành phố") else "province",
                "formerNames": [entry["name"] for entry in merged],
                "aliases": [nfc(alias) for alias in CURRENT_ALIASES.get(code, [])],
            }
        )

    document = {
        "source": f"{SOURCE_PACKAGE} {version} ({LICENCE})",
        "effective": EFFECTIVE,
        "provinces": provinces,
        "former": former_entries,
    }
    # Builds every lookup index and fails on any key shared by two different provinces.
    ProvinceRegistry.from_dict(document)
    return document


def render(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report whether the committed JSON is current")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)

    text = render(build(*_load_source()))
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; re-run without --check", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
