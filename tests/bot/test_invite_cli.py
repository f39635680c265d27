"""`partnerbot invite create`: single-use codes from the command line, refusals explained."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.cli import main
from domain.clock import SystemClock
from domain.db import Database
from domain.demo import seed_demo_network
from domain.invitations import normalise_code


@pytest.fixture
def seeded(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    async def seed() -> None:
        db = Database(database_url)
        async with db.transaction() as session:
            await seed_demo_network(session, SystemClock(), "Asia/Shanghai")
        await db.dispose()

    asyncio.run(seed())
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PARTNERBOT_DEFAULT_LOCALE", "en")
    return database_url


def test_invite_create_prints_a_code_as_json(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "invite",
                "create",
                "--role",
                "distributor_staff",
                "--distributor",
                "D2003",
                "--name",
                "黄丽",
                "--json",
            ]
        )
        == 0
    )
    made = json.loads(capsys.readouterr().out)
    assert normalise_code(made["code"]) is not None
    assert made["role"] == "distributor_staff"
    assert made["distributor"] == "D2003"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--role", "distributor_staff"], "need --distributor"),
        (["--role", "distributor_staff", "--distributor", "D9999"], "No distributor"),
        (["--role", "tier1_staff", "--distributor", "D2001"], "tier-1 distributor"),
        (["--role", "manager", "--distributor", "D1001"], "belong to no distributor"),
        (["--role", "field_rep", "--user", "NOBODY"], "No user"),
    ],
)
def test_invite_create_refuses_with_a_reason(
    seeded: str, capsys: pytest.CaptureFixture[str], args: list[str], reason: str
) -> None:
    assert main(["invite", "create", *args]) == 1
    assert reason in capsys.readouterr().err
