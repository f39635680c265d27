"""The `partnerbot` command line: demo, run, db upgrade, import/export, invitations."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from bot.bootstrap import App, bootstrap
from bot.config import ConfigError, Settings, load_settings
from domain import migrate
from domain.enums import SUPPORTED_LOCALES, Role
from domain.invitations import InvitationError
from domain.transfer import IMPORTABLE as IMPORTABLE_KINDS
from domain.transfer import KINDS as TRANSFER_KINDS
from handlers.i18n import N_

DEMO_DATABASE = "partnerbot-demo.db"

INVITATION_ERRORS = {
    InvitationError.UNKNOWN_DISTRIBUTOR: N_("No distributor has that code."),
    InvitationError.UNKNOWN_USER: N_("No user has that code."),
    InvitationError.DISTRIBUTOR_REQUIRED: N_("Staff invitations need --distributor CODE."),
    InvitationError.DISTRIBUTOR_NOT_ALLOWED: N_(
        "Brand roles (field rep, manager, admin) belong to no distributor."
    ),
    InvitationError.WRONG_TIER: N_(
        "tier1_staff needs a tier-1 distributor; distributor_staff a tier-2 one."
    ),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="partnerbot", description="渠道伙伴助手 / partner assistant"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="chat with a seeded demo network in the terminal")
    demo.add_argument(
        "--as", dest="persona", choices=["distributor", "tier1", "rep", "manager", "newcomer"]
    )
    demo.add_argument("--lang", choices=SUPPORTED_LOCALES)
    demo.add_argument("--script", type=Path, help="play the lines of FILE and print the transcript")
    demo.add_argument("--database", default=DEMO_DATABASE, help="SQLite file for the demo")

    commands.add_parser("run", help="serve HTTP (health, metrics, webhooks) and chat platforms")
    commands.add_parser("scheduler", help="run only the periodic sweeps and the outbox sender")

    outbox = commands.add_parser("outbox", help="the outbox of notices (docs/scheduler.md)")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True)
    status = outbox_commands.add_parser("status", help="counts by status, oldest waiting")
    status.add_argument("--retry-dead", action="store_true", help="queue dead letters again")
    status.add_argument("--json", action="store_true", help="print JSON")

    greetings = commands.add_parser("greetings", help="holiday greetings")
    greetings_commands = greetings.add_subparsers(dest="greetings_command", required=True)
    preview = greetings_commands.add_parser("preview", help="what goes out in a year, and when")
    preview.add_argument("--year", type=int, required=True)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply all migrations")

    importer = commands.add_parser("import", help="import a CSV or XLSX file")
    importer.add_argument("kind", choices=IMPORTABLE_KINDS)
    importer.add_argument("file", type=Path)

    exporter = commands.add_parser("export", help="export to a CSV or XLSX file")
    exporter.add_argument("kind", choices=list(TRANSFER_KINDS))
    exporter.add_argument("file", type=Path)

    wechat = commands.add_parser("wechat", help="WeChat Official Account and WeCom")
    wechat_commands = wechat.add_subparsers(dest="wechat_command", required=True)
    wechat_menu = wechat_commands.add_parser("menu", help="publish the chat menu")
    wechat_menu.add_argument("--dry-run", action="store_true", help="print it, publish nothing")

    invite = commands.add_parser("invite", help="invitation codes")
    invite_commands = invite.add_subparsers(dest="invite_command", required=True)
    create = invite_commands.add_parser("create", help="create a single-use invitation code")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument("--distributor", help="distributor code (staff roles)")
    create.add_argument("--user", help="code of an existing (imported) user to bind")
    create.add_argument("--name", help="the invitee's name")
    create.add_argument("--days", type=int, default=14, help="days until the code expires")
    create.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.command in ("run", "scheduler") else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = (
            load_settings(database_url=f"sqlite+aiosqlite:///{args.database}")
            if args.command == "demo"
            else load_settings()
        )
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        return asyncio.run(_dispatch(args, settings))
    except ConfigError as exc:  # found while wiring (a half-configured platform)
        print(exc, file=sys.stderr)
        return 2


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    app = bootstrap(settings)
    try:
        match args.command:
            case "demo":
                return await _demo(app, args)
            case "run":
                return await _run(app)
            case "scheduler" | "outbox" | "greetings":
                return await _scheduling(app, args)
            case "db":
                await migrate.upgrade(app.db)
                t = app.translator.bind(settings.default_locale)
                print(t("Database is up to date."))
                return 0
            case "import" | "export":
                from bot import transfer

                return await transfer.run(app, args.command, args.kind, args.file)
            case "invite":
                return await _invite_create(app, args)
            case "wechat":
                from bot.wechat.menu import publish_menu

                return await publish_menu(app, dry_run=args.dry_run)
    finally:
        await app.aclose()
    return 2


async def _demo(app: App, args: argparse.Namespace) -> int:
    from bot.console import ConsoleChat, interactive, play_script
    from domain.demo import DEMO_INVITATION, seed_demo_network
    from domain.invitations import format_code

    await migrate.upgrade(app.db)
    async with app.db.transaction() as session:
        await seed_demo_network(session, app.clock, app.settings.timezone)
    locale = args.lang or app.settings.default_locale
    chat = ConsoleChat(app.engine, app.db, app.translator, locale)
    if args.lang:
        await chat.set_everyones_language(args.lang)
    t = chat.t
    if args.script:
        lines = args.script.read_text(encoding="utf-8").splitlines()
        await chat.switch(args.persona or "distributor")
        print(await play_script(chat, lines))
        return 0
    print(t("partnerbot demo — a seeded network in {path}", path=args.database))
    print(
        t("A newcomer can join with the invitation code {code}.", code=format_code(DEMO_INVITATION))
    )
    print(await chat.switch(args.persona or ""))
    if not args.persona:
        picked = await asyncio.to_thread(input, "> ")
        print(await chat.switch(picked.strip().removeprefix("/switch")))
    await interactive(chat)
    return 0


async def _run(app: App) -> int:
    from bot.http import serve
    from bot.scheduling import run_scheduler

    await migrate.upgrade(app.db)
    stop = asyncio.Event()
    scheduling = asyncio.create_task(run_scheduler(app, stop))
    try:
        await serve(app, stop)
    finally:
        stop.set()
        await scheduling
    return 0


async def _scheduling(app: App, args: argparse.Namespace) -> int:
    from bot import scheduling

    await migrate.upgrade(app.db)
    if args.command == "scheduler":
        return await scheduling.scheduler_command(app)
    if args.command == "outbox":
        return await scheduling.outbox_status(app, retry_dead=args.retry_dead, as_json=args.json)
    return await scheduling.greetings_preview(app, args.year)


async def _invite_create(app: App, args: argparse.Namespace) -> int:
    from domain.invitations import InvitationRefused, create_invitation, format_code
    from handlers.formatting import local_time

    t = app.translator.bind(app.settings.default_locale)
    try:
        async with app.db.transaction() as session:
            invitation = await create_invitation(
                session,
                app.clock,
                Role(args.role),
                distributor_code=args.distributor,
                user_code=args.user,
                invitee_name=args.name,
                valid_for=timedelta(days=args.days),
            )
    except InvitationRefused as exc:
        print(t(INVITATION_ERRORS[exc.reason]), file=sys.stderr)
        return 1
    code = format_code(invitation.code)
    if args.json:
        print(
            json.dumps(
                {
                    "code": code,
                    "role": invitation.role,
                    "distributor": args.distributor,
                    "expires_at": invitation.expires_at.isoformat(),
                }
            )
        )
    else:
        print(
            t(
                "Invitation code {code} (valid until {time})",
                code=code,
                time=local_time(invitation.expires_at, app.settings.timezone),
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
