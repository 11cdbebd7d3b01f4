"""The head-office calendar as a CSV file: ``date,kind,region,name_zh,name_en`` with that header line.

``kind`` is ``holiday`` or ``workday`` (a make-up working day, 调休上班); ``region`` is ``CN``, ``HK``…
or ``ALL``. ``branchdesk calendar load FILE.csv`` reads it; ``branchdesk calendar show YEAR --csv``
writes it, so a year can be exported, corrected and loaded again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date

from branchdesk.calendars import errors
from branchdesk.calendars.models import CalendarDay, CalendarDayKind
from branchdesk.calendars.service import HolidayEntry, entry_problems
from branchdesk.platform.errors import DomainError, InvalidInput

HEADER = ["date", "kind", "region", "name_zh", "name_en"]


def _bad(line: int, en: str, zh: str) -> DomainError:
    return DomainError(errors.CALENDAR_FILE, field=f"line {line}", line=line, reason=en, reason_zh=zh)


def read_entries(text: str) -> list[HolidayEntry]:
    """Every entry of the file, or every bad line at once (InvalidInput): nothing is loaded from a file
    with one bad line."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or [cell.strip().lower() for cell in rows[0]] != HEADER:
        raise InvalidInput([_bad(1, f"the header must be {','.join(HEADER)}", f"表头须为 {','.join(HEADER)}")])
    entries: list[HolidayEntry] = []
    problems: list[DomainError] = []
    seen: dict[tuple[str, date], int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(HEADER):
            problems.append(_bad(line, f"expected {len(HEADER)} columns", f"应有 {len(HEADER)} 列"))
            continue
        day_text, kind_text, region, name_zh, name_en = (cell.strip() for cell in row)
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            problems.append(
                _bad(line, f"{day_text!r} is not a date (YYYY-MM-DD)", f"{day_text!r} 不是日期（YYYY-MM-DD）")
            )
            continue
        try:
            kind = CalendarDayKind(kind_text.lower())
        except ValueError:
            problems.append(_bad(line, "kind is holiday or workday", "类型须为 holiday 或 workday"))
            continue
        region = region.upper()
        if (region, day) in seen:
            problems.append(
                _bad(
                    line,
                    f"{day} {region} is also on line {seen[region, day]}",
                    f"{day} {region} 与第 {seen[region, day]} 行重复",
                )
            )
            continue
        seen[region, day] = line
        entry = HolidayEntry(day, kind, name_zh, name_en, region)
        wrong = entry_problems(entry)
        problems += [_bad(line, f"{p.field}: {p.message('en')}", f"{p.field}：{p.message('zh')}") for p in wrong]
        entries.append(entry)
    if problems:
        raise InvalidInput(problems)
    return entries


def write_entries(days: Iterable[CalendarDay]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for day in days:
        writer.writerow([day.day.isoformat(), day.kind.value, day.region, day.name_zh, day.name_en])
    return out.getvalue()
