"""Who no longer gets our messages (blocked the bot, left): managers see it and can follow up."""

from __future__ import annotations

from domain.enums import Platform, Role
from domain.reachability import unreachable_people
from handlers.context import Context
from handlers.formatting import local_time, role_name
from handlers.i18n import N_
from handlers.router import Router

router = Router("reach")

BRAND = (Role.MANAGER, Role.ADMIN)
SHOWN = 30

PLATFORM_NAMES = {
    Platform.TELEGRAM: N_("Telegram"),
    Platform.WECHAT_MP: N_("WeChat Official Account"),
    Platform.WECOM: N_("WeCom"),
    Platform.CONSOLE: N_("console"),
}

router.menu_entry(N_("Unreachable people"), "list", roles=BRAND, order=850)


@router.command("unreachable", N_("people our messages no longer reach"), roles=BRAND)
async def unreachable_command(ctx: Context) -> None:
    await show(ctx)


@router.button("list", roles=BRAND)
async def show(ctx: Context) -> None:
    t = ctx.t
    back = ctx.choice(t("Back to menu"), "core.menu")
    people = await unreachable_people(ctx.session)
    if not people:
        ctx.reply(t("Everyone can be reached: nobody has blocked the assistant."), [back])
        return
    lines = [
        t(
            "{count} people no longer get our messages (they blocked the assistant or left):",
            count=len(people),
        )
    ]
    for person in people[:SHOWN]:
        lines.append(
            t(
                "{name} · {role} · {distributor} · {platform} since {time}",
                name=person.name,
                role=role_name(t, person.role),
                distributor=person.distributor_name or t("the brand"),
                platform=t(PLATFORM_NAMES[person.platform]),
                time=local_time(person.since, ctx.settings.timezone),
            )
        )
    if len(people) > SHOWN:
        lines.append(t("… and {count} more.", count=len(people) - SHOWN))
    lines.append(t("Please reach them another way (phone, visit) and ask them to unblock us."))
    ctx.reply("\n".join(lines), [back])
