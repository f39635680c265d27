"""The operator's commands: outbox status, retrying dead letters, the greetings preview."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.bootstrap import App
from bot.cli import main
from bot.scheduling import outbox_status
from domain.models import OutboxMessage
from domain.outbox import Notice, OutboxStatus, enqueue
from tests.scheduler.support import outbox_rows


async def fill_outbox(app: App) -> None:
    now = app.clock.now()
    async with app.db.transaction() as session:
        error = "failed: Bad Gateway"
        for n, status in enumerate(["queued", "queued", "sent", "dead", "failed"]):
            await enqueue(session, Notice(1, f"k{n}", "test", "hi"), now - timedelta(hours=n))
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.dedupe_key == f"k{n}")
                .values(status=status, last_error=error if status == "dead" else None)
            )


async def test_status_counts_and_retrying_dead_letters(
    demo_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    await fill_outbox(demo_app)
    assert await outbox_status(demo_app, retry_dead=False, as_json=True) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["counts"]["queued"] == 2
    assert shown["counts"]["dead"] == 1
    assert shown["counts"]["failed"] == 1
    assert shown["dead"] == [{"key": "k3", "attempts": 0, "error": "failed: Bad Gateway"}]
    oldest = demo_app.clock.now() - timedelta(hours=4)  # the failed one
    assert shown["oldest_waiting"] == oldest.isoformat()

    assert await outbox_status(demo_app, retry_dead=False, as_json=False) == 0
    text = capsys.readouterr().out
    assert "死信" in text  # the operator's language (zh_CN by default)
    assert "k3" in text

    assert await outbox_status(demo_app, retry_dead=True, as_json=False) == 0
    assert "1" in capsys.readouterr().out
    rows = {row.dedupe_key: row for row in await outbox_rows(demo_app.db)}
    assert rows["k3"].status == OutboxStatus.QUEUED
    assert rows["k3"].attempts == 0


def test_greetings_preview_command(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PARTNERBOT_DEFAULT_LOCALE", "en")
    assert main(["greetings", "preview", "--year", "2027"]) == 0
    out = capsys.readouterr().out
    assert "2027-02-05 09:00" in out
    assert "Spring Festival Eve" in out
    assert "2027-09-15 09:00" in out

    assert main(["greetings", "preview", "--year", "1900"]) == 2
    assert "2000 to 2099" in capsys.readouterr().err

    assert main(["outbox", "status"]) == 0
    assert "Nothing is waiting." in capsys.readouterr().out
