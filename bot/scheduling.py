"""The scheduler's wiring and command line: settings to limits, messengers, operator output."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Mapping

from bot.bootstrap import App
from bot.config import Settings
from domain.delivery import Messenger
from domain.enums import Platform
from domain.outbox import OutboxStatus
from handlers.formatting import local_time
from handlers.i18n import N_
from scheduler.calendar import YearOutOfRange
from scheduler.greetings import OCCASION_NAMES, preview_year
from scheduler.operator import outbox_overview, retry_dead_letters
from scheduler.pacing import DEFAULT_LIMITS, PlatformLimits
from scheduler.quiet import QuietHours
from scheduler.registry import sweeps
from scheduler.sender import OutboxSender, SenderConfig
from scheduler.service import SchedulerService
from scheduler.sweeps import SchedulerSettings

STATUS_NAMES: Mapping[OutboxStatus, str] = {
    OutboxStatus.QUEUED: N_("queued"),
    OutboxStatus.SENT: N_("sent"),
    OutboxStatus.FAILED: N_("failed, will retry"),
    OutboxStatus.DEAD: N_("dead letters"),
    OutboxStatus.SHOWN: N_("shown in the console"),
    OutboxStatus.EXPIRED: N_("expired"),
    OutboxStatus.CANCELLED: N_("cancelled"),
}


def scheduler_settings(settings: Settings) -> SchedulerSettings:
    return SchedulerSettings(
        timezone=settings.timezone,
        default_locale=settings.default_locale,
        quiet_hours=QuietHours.parse(settings.quiet_hours),
        greet_qixi=settings.greet_qixi,
    )


def _limits(base: PlatformLimits, per_second: int, per_day: int | None) -> PlatformLimits:
    return PlatformLimits(
        max_per_window=per_second,
        window=1.0,
        chat_interval=base.chat_interval,
        margin=base.margin,
        concurrency=base.concurrency,
        per_day=per_day,
    )


def sender_config(settings: Settings) -> SenderConfig:
    return SenderConfig(
        limits={
            Platform.TELEGRAM: _limits(
                DEFAULT_LIMITS[Platform.TELEGRAM], settings.telegram_per_second, None
            ),
            Platform.WECHAT_MP: _limits(
                DEFAULT_LIMITS[Platform.WECHAT_MP],
                settings.wechat_mp_per_second,
                settings.wechat_mp_per_day,
            ),
            Platform.WECOM: _limits(
                DEFAULT_LIMITS[Platform.WECOM], settings.wecom_per_second, settings.wecom_per_day
            ),
        },
        quiet_hours=QuietHours.parse(settings.quiet_hours),
        default_timezone=settings.timezone,
    )


def messengers_for(app: App) -> dict[Platform, Messenger]:
    """One messenger per configured platform; the console has none (it shows queued notices)."""
    found: dict[Platform, Messenger] = {}
    if app.wechat is not None:
        for messenger in app.wechat.messengers():
            found[messenger.platform] = messenger
    if app.telegram is not None:
        from bot.telegram.messenger import TelegramMessenger

        found[Platform.TELEGRAM] = TelegramMessenger(app.telegram)
    return found


def build_scheduler(
    app: App, messengers: Mapping[Platform, Messenger] | None = None
) -> SchedulerService:
    settings = scheduler_settings(app.settings)
    sender = OutboxSender(
        app.db,
        messengers_for(app) if messengers is None else messengers,
        app.clock,
        sender_config(app.settings),
    )
    return SchedulerService(app.db, app.clock, app.translator, settings, sender, sweeps(settings))


async def run_scheduler(app: App, stop: asyncio.Event) -> None:
    """Scheduler and sender until `stop` (standing by while another process leads)."""
    await build_scheduler(app).run(stop)


async def scheduler_command(app: App) -> int:
    """`partnerbot scheduler`: only the sweeps and the sender, until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    started = False
    try:
        if app.telegram is not None:  # send only: polling belongs to `partnerbot run`
            await app.telegram.bot.initialize()
            started = True
        await run_scheduler(app, stop)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        if started and app.telegram is not None:
            with contextlib.suppress(Exception):
                await app.telegram.bot.shutdown()
    return 0


# -- operator commands ---------------------------------------------------------------------------


async def outbox_status(app: App, *, retry_dead: bool, as_json: bool) -> int:
    t = app.translator.bind(app.settings.default_locale)
    retried = 0
    async with app.db.transaction() as session:
        if retry_dead:
            retried = await retry_dead_letters(session, app.clock.now())
        overview = await outbox_overview(session)
    if as_json:
        print(
            json.dumps(
                {
                    "counts": {status.value: n for status, n in overview.counts.items()},
                    "oldest_waiting": _iso(overview.oldest_waiting),
                    "next_due": _iso(overview.next_due),
                    "retried": retried,
                    "dead": [
                        {"key": d.dedupe_key, "attempts": d.attempts, "error": d.last_error}
                        for d in overview.recent_dead
                    ],
                }
            )
        )
        return 0
    tz = app.settings.timezone
    print(t("Outbox"))
    for status, name in STATUS_NAMES.items():
        print(f"  {t(name)}: {overview.counts[status]}")
    if overview.oldest_waiting is not None:
        print(
            t(
                "Oldest waiting message: queued {time}",
                time=local_time(overview.oldest_waiting, tz),
            )
        )
        if overview.next_due is not None:
            print(t("Next one due: {time}", time=local_time(overview.next_due, tz)))
    else:
        print(t("Nothing is waiting."))
    if retry_dead:
        print(t("Queued {count} dead letters again.", count=retried))
    elif overview.recent_dead:
        print(t("Latest dead letters (retry them with --retry-dead):"))
        for dead in overview.recent_dead:
            print(f"  {dead.dedupe_key} · {dead.attempts} · {dead.last_error or ''}")
    return 0


async def greetings_preview(app: App, year: int) -> int:
    t = app.translator.bind(app.settings.default_locale)
    async with app.db.transaction() as session:
        try:
            planned = await preview_year(session, year, scheduler_settings(app.settings))
        except YearOutOfRange:
            print(t("Greetings can be planned for the years 2000 to 2099."), file=sys.stderr)
            return 2
    print(
        t("Greetings in {year} (times in {timezone}):", year=year, timezone=app.settings.timezone)
    )
    if not planned:
        print(t("No one to greet: import distributors and their staff first."))
    for plan in planned:
        what = t(OCCASION_NAMES[plan.occasion])
        if plan.distributor:
            what = f"{what} · {plan.distributor}"
        print(
            "  "
            + t(
                "{time}  {occasion}: {count} people",
                time=plan.send_at.strftime("%Y-%m-%d %H:%M"),
                occasion=what,
                count=plan.recipients,
            )
        )
    return 0


def _iso(value: object) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else None
