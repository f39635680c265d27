"""The network as each role may see it: a tier-1's tier-2s, a rep's accounts, the whole map."""

from __future__ import annotations

from domain.enums import Role
from domain.network import (
    DistributorCard,
    accounts_of_rep,
    distributor_card,
    distributors_in_scope,
    network_of,
    network_overview,
)
from handlers.context import Context
from handlers.formatting import distributor_card_text, distributor_line
from handlers.i18n import N_
from handlers.paging import paged_choices, parse_page
from handlers.router import Router
from handlers.types import Choice

router = Router("network")

BRAND = (Role.MANAGER, Role.ADMIN)
SEES_OTHERS = (Role.TIER1_STAFF, Role.FIELD_REP, *BRAND)

router.menu_entry(N_("My network"), "list", roles=[Role.TIER1_STAFF], order=300)
router.menu_entry(N_("My accounts"), "list", roles=[Role.FIELD_REP], order=300)
router.menu_entry(N_("Network overview"), "overview", roles=BRAND, order=300)


@router.command("network", N_("the distributors you look after"), roles=SEES_OTHERS)
async def network_command(ctx: Context) -> None:
    await show_list(ctx)


@router.button("list", roles=SEES_OTHERS)
async def show_list(ctx: Context) -> None:
    person = ctx.person
    assert person is not None
    t = ctx.t
    page = parse_page(ctx.button.arg) if ctx.button else 0
    if person.role is Role.TIER1_STAFF and person.distributor is not None:
        cards = await network_of(ctx.session, person.distributor.id)
        title = t("Your network: {count} tier-2 distributors", count=len(cards))
    elif person.role is Role.FIELD_REP:
        cards = await accounts_of_rep(ctx.session, person.user_id)
        title = t("Your accounts: {count} distributors", count=len(cards))
    else:
        cards = await distributors_in_scope(ctx.session, person)
        title = t("All distributors: {count}", count=len(cards))
    if not cards:
        ctx.reply(t("There is nobody in your list yet."), [_back(ctx)])
        return

    def card_choice(card: DistributorCard) -> Choice:
        return ctx.choice(distributor_line(t, card), router.action("card"), card.id)

    choices, caption = paged_choices(ctx, cards, page, card_choice, router.action("list"))
    ctx.reply("\n".join(filter(None, [title, caption])), [*choices, _back(ctx)])


@router.button("card", roles=SEES_OTHERS)
async def show_card(ctx: Context) -> None:
    person = ctx.person
    assert person is not None
    assert ctx.button is not None
    card = (
        await distributor_card(ctx.session, int(ctx.button.arg))
        if ctx.button.arg.isdecimal() and len(ctx.button.arg) < 12
        else None
    )
    if card is None or not person.can_see(card):
        ctx.reply(ctx.t("That distributor is not in your network."), [_back(ctx)])
        return
    ctx.reply(
        distributor_card_text(ctx.t, card),
        [ctx.choice(ctx.t("Back to the list"), router.action("list")), _back(ctx)],
    )


@router.button("overview", roles=BRAND)
async def overview(ctx: Context) -> None:
    t = ctx.t
    rows = await network_overview(ctx.session)
    lines = [t("Distributors by province (tier 1 / tier 2):")]
    lines += [
        t("{province}: {tier1} / {tier2}", province=row.province, tier1=row.tier1, tier2=row.tier2)
        for row in rows
    ]
    total1 = sum(row.tier1 for row in rows)
    total2 = sum(row.tier2 for row in rows)
    lines.append(
        t("In all: {tier1} tier-1 and {tier2} tier-2 distributors.", tier1=total1, tier2=total2)
    )
    ctx.reply(
        "\n".join(lines),
        [ctx.choice(t("List all distributors"), router.action("list")), _back(ctx)],
    )


def _back(ctx: Context) -> Choice:
    return ctx.choice(ctx.t("Back to menu"), "core.menu")
