"""Henan's administrative regions (GB/T 2260): the province, its cities and its directly-governed counties."""

import csv
from importlib.resources import files

from storage.models import Region, RegionKind

PROVINCE_CODE = "410000"


def henan_regions() -> list[dict[str, str]]:
    with files("storage").joinpath("data/henan_regions.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


async def load_regions() -> int:
    """Insert or refresh the region list; returns how many regions it holds."""
    rows = henan_regions()
    for row in rows:
        await Region.update_or_create(code=row["code"], defaults={"name": row["name"], "kind": RegionKind(row["kind"])})
    return len(rows)


async def all_regions() -> list[Region]:
    """The province, its cities and its directly-governed counties, by code."""
    return await Region.all().order_by("code")
