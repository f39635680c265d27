"""`partnerbot import` and `partnerbot export` as the person with the Excel file sees them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import transfer
from bot.cli import _parser, main
from bot.config import PREFIX
from domain.clock import FixedClock
from domain.db import Database
from domain.demo import seed_demo_network
from domain.models import Distributor
from domain.tabular import FileProblem
from domain.transfer import KINDS, Problem, SideEffect
from tests.conftest import START

NETWORK_KINDS = ("distributors", "users", "products")


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


Cli = Callable[..., Outcome]


@pytest.fixture
def cli(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """`partnerbot ARGS...` in this process, on the test database, from an empty folder."""
    for name in list(os.environ):
        if name.startswith(PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> Outcome:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    assert run("db", "upgrade").code == 0
    return run


def seed(database_url: str) -> None:
    async def go() -> None:
        db = Database(database_url)
        async with db.transaction() as session:
            await seed_demo_network(session, FixedClock(START), "Asia/Shanghai")
        await db.dispose()

    asyncio.run(go())


def distributor_count(database_url: str) -> int:
    async def go() -> int:
        db = Database(database_url)
        async with db.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(Distributor))
        await db.dispose()
        return count or 0

    return asyncio.run(go())


def test_export_then_import_every_kind_in_chinese(cli: Cli, database_url: str) -> None:
    seed(database_url)
    for kind in NETWORK_KINDS:
        for suffix in (".csv", ".xlsx"):
            exported = cli("export", kind, f"{kind}{suffix}")
            assert exported.code == 0, exported.err
            assert "已导出" in exported.out
            imported = cli("import", kind, f"{kind}{suffix}")
            assert imported.code == 0, imported.err
            assert "新增 0 条，更新 0 条" in imported.out
            assert imported.err == ""


def test_row_errors_are_listed_one_per_line_and_nothing_is_written(
    cli: Cli, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(database_url)
    (tmp_path / "d.csv").write_text(
        "code,name,tier,parent_code,province,city,grade,joined_on\n"
        "D3001,东莞新店,2,D1001,广东,东莞,B,2025-01-02\n"
        "D3002,惠州新店,2,D1001,广东,惠州,E,2025-01-02\n"
        "D3003,中山新店,3,D9999,广东,中山,A,2025-13-01\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PARTNERBOT_DEFAULT_LOCALE", "en")
    refused = cli("import", "distributors", "d.csv")
    assert refused.code == 1
    lines = refused.err.strip().splitlines()
    assert (
        lines[0] == "Nothing was imported: 4 problems in d.csv. Fix them and import the file again."
    )
    assert lines[1:] == [
        "row 3, column grade: “E” is not a grade: use A, B, C or D",
        "row 4, column tier: “3” is not a tier: use 1 or 2 (一级 or 二级)",
        "row 4, column parent_code: "
        "no distributor has the code D9999, in the database or this file",
        "row 4, column joined_on: “2025-13-01” is not a date: write it like 2024-03-18",
    ]
    assert distributor_count(database_url) == 8


def test_errors_name_the_column_as_the_file_does_in_the_default_language(
    cli: Cli, database_url: str, tmp_path: Path
) -> None:
    seed(database_url)
    (tmp_path / "人员.csv").write_text(
        "编码,姓名,角色,经销商编码,备注\nS301,周小红,店长,D2002,新人\nS302,钱多多,经销商员工,D1001,\n",
        encoding="gb18030",
    )
    refused = cli("import", "users", "人员.csv")
    assert refused.code == 1
    assert "已忽略的列" in refused.out
    assert "备注" in refused.out
    assert "第 2 行，角色 列：“店长”不是有效的角色" in refused.err
    assert "第 3 行，经销商编码 列：D1001 是 1 级经销商" in refused.err
    assert "经销商员工" in refused.err


def test_a_good_file_reports_counts_and_side_effects(
    cli: Cli, database_url: str, tmp_path: Path
) -> None:
    seed(database_url)
    (tmp_path / "p.csv").write_text(
        "SKU,中文名,英文名,类别,类别英文,单位,包装倍数,起订量\n"
        "D400,酸奶 200ml×12,Yogurt 200ml×12,乳品,Dairy,箱,1,2\n"
        "A100,矿泉水 550ml×24,Mineral water 550ml×24,饮用水,Drinking water,箱,1,6\n"
        "A101,纯净水 550ml×24,Purified water 550ml×24,饮用水,,箱,1,5\n",
        encoding="utf-8-sig",
    )
    done = cli("import", "products", "p.csv")
    assert done.code == 0, done.err
    assert done.out.splitlines() == [
        "导入完成：新增 1 条，更新 1 条，未变 1 条。",
        "新建类别：1 个。",
    ]


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("garbage.csv", bytes(range(256)) * 8, "不是文本格式的 CSV"),
        ("empty.csv", b"", "是空的"),
        ("corrupt.xlsx", b"PK\x03\x04 definitely not a workbook", "已损坏"),
        ("list.xls", b"\xd0\xcf\x11\xe0", "只能使用 .csv 或 .xlsx"),
        ("columns.csv", "编码,名称\nD1,x\n".encode(), "tier (级别)"),
        (
            "twice.csv",
            "code,编码,name,tier,province,city,grade,joined_on\n".encode(),
            "只保留一列",
        ),
    ],
)
def test_unusable_files_exit_2_with_a_plain_reason(
    cli: Cli, tmp_path: Path, name: str, content: bytes, words: str
) -> None:
    (tmp_path / name).write_bytes(content)
    refused = cli("import", "distributors", name)
    assert refused.code == 2
    assert words in refused.err
    assert "Traceback" not in refused.err
    assert refused.out == ""


def test_a_missing_file_and_an_unwritable_export(cli: Cli) -> None:
    assert cli("import", "users", "nowhere.xlsx").code == 2
    failed = cli("export", "users", "no/such/folder/users.xlsx")
    assert failed.code == 2
    assert "无法写入" in failed.err
    assert cli("export", "users", "users.numbers").code == 2


def test_an_unmigrated_database_is_named_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith(PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    (tmp_path / "d.csv").write_text(
        "code,name,tier,province,city,grade,joined_on\nD1,x,1,p,c,A,2024-01-01\n", encoding="utf-8"
    )
    assert main(["import", "distributors", "d.csv"]) == transfer.EXIT_NO_DATABASE
    assert "partnerbot db upgrade" in capsys.readouterr().err


def test_the_kinds_offered_are_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    parser = _parser()
    for command in ("import", "export"):
        args = parser.parse_args([command, "products", "x.csv"])
        assert args.kind == "products"
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["import", "no-such-kind", "x.csv"])
    assert exited.value.code == 2
    usage = capsys.readouterr().err
    for kind in KINDS:
        assert (kind in usage) is KINDS[kind].importable  # orders are exported only


def test_every_code_has_words() -> None:
    assert set(transfer.ROW_PROBLEMS) == set(Problem)
    assert set(transfer.FILE_PROBLEMS) == set(FileProblem)
    assert set(transfer.SIDE_EFFECTS) == set(SideEffect)


def test_the_installed_command_imports(database_url: str, tmp_path: Path) -> None:
    """The real console entry point in its own process, as the admin runs it."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX)}
    environment["PARTNERBOT_DATABASE_URL"] = database_url
    environment["PARTNERBOT_DEFAULT_LOCALE"] = "en"

    def partnerbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert partnerbot("db", "upgrade").returncode == 0
    seed(database_url)
    exported = partnerbot("export", "distributors", "d.xlsx")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == "Exported 8 rows to d.xlsx."
    imported = partnerbot("import", "distributors", "d.xlsx")
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "Imported: 0 created, 0 updated, 8 unchanged."
