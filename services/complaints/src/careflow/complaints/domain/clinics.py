"""Clinics (mottagningar) by HSA-id, and the verdict on each row of an import file.

Only clinics activated in the e-services directory may be added, and only by the
region whose administrative region code the directory gives them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from careflow.complaints.domain.errors import Refused
from careflow.complaints.domain.identifiers import is_hsa_id


@dataclass(frozen=True)
class DirectoryEntry:
    """What the e-services directory says about one HSA-id."""

    hsa_id: str
    name: str
    region_code: str
    activated: bool


@dataclass(frozen=True)
class Clinic:
    hsa_id: str
    name: str
    region_code: str


class Verdict(StrEnum):
    VALID = "valid"
    #: Already a clinic of this region: nothing to do (a second run of a file).
    ALREADY_ADDED = "already_added"
    MALFORMED = "malformed"
    DUPLICATE = "duplicate"
    UNKNOWN_HSA_ID = "unknown_hsa_id"
    NOT_ACTIVATED = "not_activated"
    OTHER_REGION = "other_region"


@dataclass(frozen=True)
class Row:
    line: int
    hsa_id: str


@dataclass(frozen=True)
class RowVerdict:
    line: int
    hsa_id: str
    verdict: Verdict


def refuse_single(entry: DirectoryEntry | None, region_code: str) -> DirectoryEntry:
    """The rule for adding one clinic: known, activated and of the caller's region."""
    if entry is None:
        raise Refused("The e-services directory does not know this HSA-id.")
    if not entry.activated:
        raise Refused("The clinic is not activated in the e-services directory.")
    if entry.region_code != region_code:
        raise Refused("The directory gives this clinic another region's code.")
    return entry


def rows_of(content: str, file_format: str) -> list[Row]:
    """A txt file holds one HSA-id a line; a csv file one in its first column (a first
    line naming the column is a header). Blank lines are skipped; a line is
    numbered as an editor shows it."""
    if file_format == "txt":
        return [Row(n, line.strip()) for n, line in _lines(content.splitlines())]
    return list(_csv_rows(content))


def _lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    for n, line in enumerate(lines, start=1):
        if line.strip():
            yield n, line


def _csv_rows(content: str) -> Iterator[Row]:
    sample = content[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    for n, fields in enumerate(csv.reader(io.StringIO(content), delimiter=delimiter), start=1):
        if not any(f.strip() for f in fields):
            continue
        first = fields[0].strip()
        if n == 1 and first.lower().replace("-", "").replace("_", "") in ("hsaid", "hsa"):
            continue
        yield Row(n, first)


def judge(
    rows: Iterable[Row],
    *,
    region_code: str,
    existing: Collection[str],
    directory: Mapping[str, DirectoryEntry],
) -> list[RowVerdict]:
    """One verdict per row, in file order. `existing` = the region's clinics now;
    `directory` = what the directory says of the rows' well-formed ids."""
    seen: set[str] = set()
    verdicts = []
    for row in rows:
        verdicts.append(
            RowVerdict(
                row.line, row.hsa_id, _verdict(row.hsa_id, seen, region_code, existing, directory)
            )
        )
    return verdicts


def _verdict(
    hsa_id: str,
    seen: set[str],
    region_code: str,
    existing: Collection[str],
    directory: Mapping[str, DirectoryEntry],
) -> Verdict:
    if not is_hsa_id(hsa_id):
        return Verdict.MALFORMED
    if hsa_id in seen:
        return Verdict.DUPLICATE
    seen.add(hsa_id)
    entry = directory.get(hsa_id)
    if entry is None:
        return Verdict.UNKNOWN_HSA_ID
    if not entry.activated:
        return Verdict.NOT_ACTIVATED
    if entry.region_code != region_code:
        return Verdict.OTHER_REGION
    if hsa_id in existing:
        return Verdict.ALREADY_ADDED
    return Verdict.VALID
