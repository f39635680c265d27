"""Commands that work in every state: /start, /help, /menu, /cancel and /lang."""

from __future__ import annotations

from domain.enums import SUPPORTED_LOCALES
from domain.network import set_locale
from handlers import onboarding
from handlers.context import Context
from handlers.formatting import LANGUAGE_NAMES
from handlers.i18n import N_
from handlers.router import Router

router = Router("core")
router.menu_entry(N_("Language"), "language", order=900)
router.menu_entry(N_("Help"), "help", order=910)


@router.command("start", N_("start or restart the assistant"), guest=True)
async def start(ctx: Context) -> None:
    if ctx.person is None:
        await onboarding.welcome(ctx, ctx.command.args if ctx.command else "")
        return
    ctx.finish()
    ctx.main_menu(ctx.t("Welcome back, {name}. What would you like to do?", name=ctx.person.name))


@router.command("menu", N_("show the main menu"), guest=True)
async def menu(ctx: Context) -> None:
    if ctx.person is None:
        await onboarding.welcome(ctx, "")
        return
    ctx.finish()
    ctx.main_menu()


@router.button("menu", guest=True)
async def menu_button(ctx: Context) -> None:
    await menu(ctx)


@router.command("cancel", N_("stop what you are doing"), guest=True)
async def cancel(ctx: Context) -> None:
    t = ctx.t
    had_state = ctx.state is not None
    ctx.finish()
    if ctx.person is None:
        await onboarding.welcome(ctx, "")
        return
    if had_state:
        ctx.main_menu(t("Cancelled; nothing was saved. What next?"))
    else:
        ctx.main_menu(t("There was nothing to cancel. What would you like to do?"))


@router.command("help", N_("what I can do for you"), guest=True)
async def help_command(ctx: Context) -> None:
    t = ctx.t
    if ctx.person is None:
        ctx.reply(
            t(
                "I am the partner assistant of our brand. To start, send the invitation code "
                "your field rep or tier-1 distributor gave you (it looks like ABCD-EFGH)."
            )
            + "\n\n"
            + _command_list(ctx)
        )
        return
    lines = [t("Here is what you can do:"), _command_list(ctx)]
    if ctx.state is not None:
        lines.append(t("You are in the middle of something: carry on, or send /cancel to stop."))
    ctx.reply("\n\n".join(lines))


@router.button("help")
async def help_button(ctx: Context) -> None:
    await help_command(ctx)


def _command_list(ctx: Context) -> str:
    t = ctx.t
    lines = []
    seen: set[str] = set()
    for feature in ctx.routers:
        for name, command in feature.commands.items():
            allowed = (
                command.route.guest
                if ctx.person is None
                else (ctx.person.role in command.route.roles)
            )
            if allowed and name not in seen:
                seen.add(name)
                lines.append(f"/{name} — {t(command.description)}")
    return "\n".join(lines)


@router.command("lang", N_("choose your language (中文 / English)"), guest=True)
async def language(ctx: Context) -> None:
    wanted = ctx.command.args if ctx.command else ""
    if wanted:
        chosen = _supported(wanted)
        if chosen is None:
            ctx.reply(ctx.t("I speak 中文 (zh_CN) and English (en). Send /lang to choose."))
            return
        await _switch_language(ctx, chosen)
        return
    await language_menu(ctx)


@router.button("language", guest=True)
async def language_menu(ctx: Context) -> None:
    choices = [
        ctx.choice(name, router.action("set_language"), code)
        for code, name in LANGUAGE_NAMES.items()
    ]
    ctx.reply(ctx.t("Choose your language:"), choices, columns=2)


@router.button("set_language", guest=True)
async def set_language(ctx: Context) -> None:
    chosen = _supported(ctx.button.arg if ctx.button else "")
    if chosen is None:
        ctx.reply(ctx.t("This menu has expired. Send /menu for a fresh one."))
        return
    await _switch_language(ctx, chosen)


def _supported(wanted: str) -> str | None:
    folded = wanted.strip().replace("-", "_").lower()
    aliases = {
        "zh": "zh_CN",
        "cn": "zh_CN",
        "中文": "zh_CN",
        "chinese": "zh_CN",
        "english": "en",
        "英文": "en",
    }
    for locale in SUPPORTED_LOCALES:
        if folded == locale.lower():
            return locale
    return aliases.get(folded)


async def _switch_language(ctx: Context, locale: str) -> None:
    ctx.set_locale(locale)
    t = ctx.t
    if ctx.person is None:
        ctx.reply(t("I will speak English with you from now on."))
        await onboarding.welcome(ctx, "")
        return
    await set_locale(ctx.session, ctx.person.user_id, locale)
    if ctx.state is not None:
        ctx.reply(
            t(
                "I will speak English with you from now on. Carry on where you left off, "
                "or send /cancel to stop."
            )
        )
        return
    ctx.main_menu(t("I will speak English with you from now on. What would you like to do?"))
