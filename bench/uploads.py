"""Uploaded spreadsheets: a legitimate 5,000-row batch query and the bombs, time and peak memory each.

Each case runs in a fresh process, so its peak resident memory (ru_maxrss) is its own; "extra" is that peak
less the process's size after imports. The named baseline is the same 5,000-row file read by plain openpyxl
(read-only mode, the way uploads were read before limits), which is what a legitimate upload should still
cost. The bombs are not run through the unbounded reader: the dimension bomb alone grew it by 2 GB.

    .venv/bin/python bench/uploads.py      # make bench runs it too   (about 10 s)

Targets: a bomb is refused within 1 s and with under 50 MB of extra memory; the legitimate file reads
within 2x the baseline's time.
"""

import io
import multiprocessing
import resource
import sys
import time
from pathlib import Path

# tests/ holds the bomb builders the tests use too; it is not an installed package
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handlers.spreadsheets import TableLimits, TableRefused, read_table
from tests.uploads import a_dimension_bomb, a_row_bomb, a_wide_row_bomb, an_inflation_bomb, an_xlsx

LIMITS = TableLimits(rows=5001, columns=60, cell_chars=200)  # the batch query's


def _legitimate() -> bytes:
    return an_xlsx([["号码", "备注"]] + [[f"41010020260{i:05d}", f"第 {i} 个"] for i in range(5000)])


def _baseline(data: bytes) -> str:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    return f"{sum(1 for _ in sheet.iter_rows(values_only=True))} rows"


def _bounded(data: bytes) -> str:
    try:
        return f"{len(read_table(data, '.xlsx', LIMITS))} rows"
    except TableRefused as refused:
        return f"refused: {str(refused)[:40]}…"


def _case(reader, data: bytes, out) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    outcome = reader(data)
    seconds = time.perf_counter() - started
    extra_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    out.send((outcome, seconds, extra_mb))


def measure(reader, data: bytes) -> tuple[str, float, float]:
    receiving, sending = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("fork").Process(target=_case, args=(reader, data, sending))
    process.start()
    result = receiving.recv()
    process.join()
    return result


def main() -> int:
    legitimate = _legitimate()
    cases = [
        ("baseline: plain openpyxl, 5,000 rows", _baseline, legitimate),
        ("bounded reader, 5,000 rows", _bounded, legitimate),
        ("dimension bomb (A1:XFD1048576)", _bounded, a_dimension_bomb()),
        ("inflation bomb (200 MB part)", _bounded, an_inflation_bomb()),
        ("row bomb (200,000 rows)", _bounded, a_row_bomb()),
        ("wide rows (5,000 with a cell at XFD)", _bounded, a_wide_row_bomb(5000)),
    ]
    print(f"{'case':40} {'file KB':>8} {'seconds':>8} {'extra MB':>9}  outcome")
    results = {}
    for name, reader, data in cases:
        outcome, seconds, extra = measure(reader, data)
        results[name] = (seconds, extra)
        print(f"{name:40} {len(data) / 1024:8.1f} {seconds:8.3f} {extra:9.1f}  {outcome}")
    base, ours = results[cases[0][0]], results[cases[1][0]]
    print(f"\nlegitimate file: {ours[0] / base[0]:.2f}x the baseline's time (target <= 2)")
    for name, _, _ in cases[2:]:
        seconds, extra = results[name]
        verdict = "met" if seconds <= 1 and extra < 50 else "MISSED"
        print(f"{name}: {seconds:.3f} s, {extra:.1f} MB extra (target <= 1 s, < 50 MB): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
