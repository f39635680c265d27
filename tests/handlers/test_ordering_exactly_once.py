"""Confirming a cart yields exactly one order, however often and however concurrently."""

from __future__ import annotations

import asyncio
import sys
import textwrap

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App
from domain.enums import Platform
from domain.models import Order, OrderLine, OutboxMessage
from handlers.types import Incoming, Reply


def _says(ref: str, text: str = "", payload: str | None = None) -> Incoming:
    return Incoming(Platform.CONSOLE, ref, ref, text=text, payload=payload)


def _confirm_payload(replies: list[Reply]) -> str:
    for reply in replies:
        for choice in reply.choices:
            if choice.label in ("确认下单", "Confirm order"):
                return choice.payload
    raise AssertionError(f"no confirm button in {replies}")


async def _count(app: App, model: type) -> int:
    async with app.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_fifty_concurrent_confirms_make_one_order(demo_app: App) -> None:
    payload = _confirm_payload(await demo_app.engine.handle(_says("S201", "A100 10, B200 3")))
    answers = await asyncio.gather(
        *(demo_app.engine.handle(_says("S201", payload=payload)) for _ in range(50))
    )
    assert await _count(demo_app, Order) == 1
    assert await _count(demo_app, OrderLine) == 2
    # One approval notice to the one tier-1 staff of D1001, not fifty.
    assert await _count(demo_app, OutboxMessage) == 1
    texts = [reply.text for replies in answers for reply in replies]
    assert sum("PO-20261203-0001" in text for text in texts) == 50
    assert sum("已提交" in text or "订单 PO-20261203-0001 已下达" in text for text in texts) >= 1


async def test_a_repeated_confirm_after_the_order_says_which_order(demo_app: App) -> None:
    payload = _confirm_payload(await demo_app.engine.handle(_says("S201", "A100 10")))
    await demo_app.engine.handle(_says("S201", payload=payload))
    again = await demo_app.engine.handle(_says("S201", payload=payload))
    assert "PO-20261203-0001" in again[0].text
    assert await _count(demo_app, Order) == 1


async def test_another_distributor_cannot_confirm_someone_elses_cart(demo_app: App) -> None:
    payload = _confirm_payload(await demo_app.engine.handle(_says("S201", "A100 10")))
    forged = await demo_app.engine.handle(_says("S206", payload=payload))
    assert "过期" in forged[0].text
    assert await _count(demo_app, Order) == 0


@pytest.mark.postgres
async def test_two_processes_confirming_one_cart_make_one_order(
    demo_app: App, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two processes against one database: the PostgreSQL variant")
    payload = _confirm_payload(await demo_app.engine.handle(_says("S201", "A100 10")))
    script = textwrap.dedent(
        f"""
        import asyncio
        from bot.bootstrap import bootstrap
        from bot.config import Settings
        from domain.enums import Platform
        from handlers.types import Incoming

        async def main():
            app = bootstrap(Settings(database_url={database_url!r}, _env_file=None))
            incoming = Incoming(Platform.CONSOLE, "S201", "S201", payload={payload!r})
            await asyncio.gather(*(app.engine.handle(incoming) for _ in range(25)))
            await app.aclose()

        asyncio.run(main())
        """
    )
    processes = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", script) for _ in range(2)
    ]
    for process in processes:
        assert await asyncio.wait_for(process.wait(), 120) == 0
    assert await _count(demo_app, Order) == 1
    assert await _count(demo_app, OutboxMessage) == 1
