"""Admin import and export of master data as spreadsheets, one registry of kinds.

To add a kind: write a `TransferKind` subclass (imported and exported) or a `ReportKind`
subclass (exported only, like orders) in a module of this package and list it in `KINDS`
below. The command line's choices, the reading, the all-or-nothing transaction and the
export all follow from that entry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from domain.db import Database
from domain.tabular import Table, read_table, table_format, write_table
from domain.transfer.base import (
    Column,
    ExportKind,
    ImportContext,
    ImportResult,
    Problem,
    RowError,
    RowErrors,
    SideEffect,
    TransferKind,
    parse_rows,
)
from domain.transfer.broadcasts import Broadcasts
from domain.transfer.distributors import Distributors
from domain.transfer.greetings import Greetings
from domain.transfer.orders import Orders
from domain.transfer.prices import Prices
from domain.transfer.products import Products
from domain.transfer.users import Users

KINDS: Mapping[str, ExportKind] = {
    kind.name: kind
    for kind in (
        Distributors(),
        Users(),
        Products(),
        Prices(),
        Greetings(),
        Orders(),
        Broadcasts(),
    )
}

IMPORT_KINDS: Mapping[str, TransferKind] = {
    name: kind for name, kind in KINDS.items() if isinstance(kind, TransferKind)
}
IMPORTABLE = list(IMPORT_KINDS)

__all__ = [
    "IMPORTABLE",
    "IMPORT_KINDS",
    "KINDS",
    "Column",
    "ExportKind",
    "ImportContext",
    "ImportResult",
    "Problem",
    "RowError",
    "SideEffect",
    "TransferConflict",
    "TransferKind",
    "export_file",
    "import_file",
    "import_table",
]


class TransferConflict(Exception):
    """The database changed under the import (another import at the same time); nothing written."""


class _Refused(Exception):
    """Leaves the transaction so that it rolls back."""


async def import_file(
    db: Database, kind_name: str, path: Path, context: ImportContext
) -> ImportResult:
    """Upsert every row of the file, or none: raises TableRefused for an unusable file."""
    kind = IMPORT_KINDS[kind_name]
    table = await asyncio.to_thread(read_table, path, kind.columns)
    return await import_table(db, kind, table, context)


async def import_table(
    db: Database, kind: TransferKind, table: Table, context: ImportContext
) -> ImportResult:
    errors = RowErrors(kind.columns)
    rows = parse_rows(kind.columns, table, errors)
    try:
        async with db.transaction() as session:
            tally = await kind.upsert(session, rows, context, errors)
            if errors:
                raise _Refused
    except _Refused:
        return ImportResult(
            errors=errors.sorted(), headers=table.headers, ignored_columns=table.ignored
        )
    except IntegrityError as exc:
        raise TransferConflict from exc
    return ImportResult(
        created=tally.created,
        updated=tally.updated,
        unchanged=tally.unchanged,
        side_effects=dict(tally.side_effects),
        headers=table.headers,
        ignored_columns=table.ignored,
    )


async def export_file(
    db: Database, kind_name: str, path: Path, context: ImportContext | None = None
) -> int:
    """Write every row of the kind to the file (CSV or XLSX by extension); returns the count."""
    kind = KINDS[kind_name]
    table_format(path)  # refuse a wrong extension before reading anything
    async with db.sessions() as session:
        rows = list(
            await kind.export_rows(session, context) if context else await kind.export(session)
        )
    headers = [column.name for column in kind.columns]
    return await asyncio.to_thread(
        write_table, path, headers, [[row.get(header) for header in headers] for row in rows]
    )
