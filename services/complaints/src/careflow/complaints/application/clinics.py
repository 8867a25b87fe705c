"""Regional admins' clinics: one by one or from a file, and the region sync with the
e-services directory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from careflow.complaints.application.context import Context
from careflow.complaints.domain.clinics import (
    Clinic,
    DirectoryEntry,
    RowVerdict,
    Verdict,
    judge,
    refuse_single,
    rows_of,
)
from careflow.complaints.domain.errors import NotFound
from careflow.complaints.domain.identifiers import is_hsa_id


@dataclass(frozen=True)
class ImportReport:
    verdicts: list[RowVerdict]
    applied: int

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(v.verdict.value for v in self.verdicts)
        return {verdict.value: counted.get(verdict.value, 0) for verdict in Verdict}


async def add_clinic(ctx: Context, region_code: str, hsa_id: str, by: str) -> Clinic:
    """Adds one clinic the directory shows activated in the admin's region."""
    found = await ctx.directory.lookup([hsa_id])
    entry = refuse_single(found.get(hsa_id), region_code)
    async with ctx.uow() as uow:
        await _region(uow, region_code)
        await uow.clinics.add([entry], ctx.clock(), by)
        await uow.commit()
    return Clinic(entry.hsa_id, entry.name, entry.region_code)


async def remove_clinic(ctx: Context, region_code: str, hsa_id: str) -> None:
    async with ctx.uow() as uow:
        clinic = await uow.clinics.get(hsa_id)
        if clinic is None or clinic.region_code != region_code:
            raise NotFound("No such clinic in this region.")
        await uow.clinics.remove(hsa_id)
        await uow.commit()


async def region_clinics(
    ctx: Context, region_code: str, text: str | None = None, limit: int = 100
) -> list[Clinic]:
    """The region's clinics whose name or HSA-id contains `text` (residents search them)."""
    async with ctx.uow() as uow:
        await _region(uow, region_code)
        return await uow.clinics.search(region_code, text, limit)


async def import_clinics(
    ctx: Context, region_code: str, content: str, file_format: str, *, apply: bool, by: str
) -> ImportReport:
    """A verdict for every row; with `apply`, adds the valid rows (and nothing else).

    The directory is asked again on every run, so applying after a dry run judges
    what the directory says then. A second run of the same file finds its rows
    `already_added` and changes nothing."""
    rows = rows_of(content, file_format)
    async with ctx.uow() as uow:
        await _region(uow, region_code)
        existing = await uow.clinics.ids_in(region_code)
    wanted = {r.hsa_id for r in rows if is_hsa_id(r.hsa_id)}
    directory = await lookup_all(ctx, wanted)
    verdicts = judge(rows, region_code=region_code, existing=existing, directory=directory)
    valid = [directory[v.hsa_id] for v in verdicts if v.verdict is Verdict.VALID]
    applied = 0
    if apply and valid:
        async with ctx.uow() as uow:
            applied = await uow.clinics.add(valid, ctx.clock(), by)
            await uow.commit()
    return ImportReport(verdicts, applied)


async def lookup_all(ctx: Context, hsa_ids: Collection[str]) -> Mapping[str, DirectoryEntry]:
    ids = sorted(hsa_ids)
    found: dict[str, DirectoryEntry] = {}
    for start in range(0, len(ids), ctx.directory_batch):
        found.update(await ctx.directory.lookup(ids[start : start + ctx.directory_batch]))
    return found


async def sync_regions(ctx: Context) -> int:
    """Follows the directory: a clinic whose administrative region changed there moves
    here (its staff and cases go with it); returns how many moved. Ids the directory
    no longer knows stay as they are (a directory hiccup must not empty a region)."""
    moved, after = 0, ""
    while True:
        async with ctx.uow() as uow:
            ids = await uow.clinics.ids_after(after, ctx.directory_batch)
        if not ids:
            return moved
        entries = await ctx.directory.lookup(ids)
        async with ctx.uow() as uow:
            moved += await uow.clinics.move(entries.values())
            await uow.commit()
        after = ids[-1]


async def _region(uow, region_code: str) -> None:  # type: ignore[no-untyped-def]
    if await uow.regions.get(region_code) is None:
        raise NotFound("No such region.")
