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

DEMO_DATABASE = "partnerbot-demo.db"


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

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply all migrations")

    importer = commands.add_parser("import", help="import a CSV or XLSX file")
    importer.add_argument("kind", choices=["distributors", "users", "products"])
    importer.add_argument("file", type=Path)

    exporter = commands.add_parser("export", help="export to a CSV or XLSX file")
    exporter.add_argument("kind", choices=["distributors", "users", "products"])
    exporter.add_argument("file", type=Path)

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
        level=logging.INFO if args.command in ("run",) else logging.WARNING,
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
    return asyncio.run(_dispatch(args, settings))


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    app = bootstrap(settings)
    try:
        match args.command:
            case "demo":
                return await _demo(app, args)
            case "run":
                return await _run(app)
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
        print(await chat.switch(picked))
    await interactive(chat)
    return 0


async def _run(app: App) -> int:
    from bot.http import serve

    await migrate.upgrade(app.db)
    await serve(app)
    return 0


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


def _invitation_errors() -> dict[object, str]:
    from domain.invitations import InvitationError
    from handlers.i18n import N_

    return {
        InvitationError.UNKNOWN_DISTRIBUTOR: N_("No distributor has that code."),
        InvitationError.UNKNOWN_USER: N_("No user has that code."),
        InvitationError.DISTRIBUTOR_REQUIRED: N_("Staff invitations need --distributor CODE."),
        InvitationError.DISTRIBUTOR_NOT_ALLOWED: N_(
            "Brand roles (field rep, manager, admin) belong to no distributor."
        ),
        InvitationError.WRONG_TIER: N_(
            "tier1_staff needs a tier-1 distributor; distributor_staff a tier-2 one."
        ),
        InvitationError.USER_ALREADY_BOUND: N_("That user has already joined."),
    }


INVITATION_ERRORS = _invitation_errors()


if __name__ == "__main__":
    raise SystemExit(main())
