"""A person's own card: who they are, for whom, and in which language."""

from __future__ import annotations

from handlers.context import Context
from handlers.formatting import LANGUAGE_NAMES, distributor_card_text, role_name
from handlers.i18n import N_
from handlers.router import Router

router = Router("profile")
router.menu_entry(N_("My profile"), "show", order=800)


@router.command("profile", N_("who I am and whom I work for"))
async def profile_command(ctx: Context) -> None:
    await show(ctx)


@router.button("show")
async def show(ctx: Context) -> None:
    person = ctx.person
    assert person is not None  # the engine only routes bound people here
    t = ctx.t
    lines = [
        t("Name: {name}", name=person.name),
        t("Role: {role}", role=role_name(t, person.role)),
        t("Language: {language}", language=LANGUAGE_NAMES.get(ctx.locale, ctx.locale)),
        t("Time zone: {timezone}", timezone=person.timezone),
    ]
    if person.distributor is not None:
        lines += ["", distributor_card_text(t, person.distributor)]
    ctx.reply("\n".join(lines), [ctx.choice(t("Back to menu"), "core.menu")])
