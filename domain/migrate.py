"""Schema migrations (Alembic) run against the configured database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from domain.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(db: Database, revision: str = "heads") -> None:
    def _upgrade(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(_upgrade)


async def make_revision(db: Database, message: str) -> None:
    """Developer helper: autogenerate a revision from the models (`python -m domain.migrate`)."""

    def _revision(connection: Connection) -> None:
        command.revision(alembic_config(connection), message=message, autogenerate=True)

    async with db.engine.begin() as conn:
        await conn.run_sync(_revision)


if __name__ == "__main__":  # pragma: no cover - developer tool
    import asyncio
    import sys

    async def _main() -> None:
        db = Database(sys.argv[1])
        await upgrade(db)
        await make_revision(db, sys.argv[2])
        await db.dispose()

    asyncio.run(_main())
