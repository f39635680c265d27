"""Joining the network: a stranger enters an invitation code and becomes a known person."""

from __future__ import annotations

from enum import StrEnum

from domain.invitations import ChatAccount, Redemption, normalise_code, redeem_invitation
from domain.network import Person, person_for_identity, rename_user
from handlers.context import Context
from handlers.formatting import LANGUAGE_NAMES, local_time, role_name
from handlers.router import Router


class OnboardingState(StrEnum):
    AWAITING_CODE = "onboarding.awaiting_code"
    AWAITING_NAME = "onboarding.awaiting_name"


MAX_NAME = 50


router = Router("onboarding", OnboardingState)


async def welcome(ctx: Context, code: str) -> None:
    """First contact (or /start with a code from a link): ask for the invitation code."""
    if code:
        await _redeem(ctx, code)
        return
    ctx.goto(OnboardingState.AWAITING_CODE)
    t = ctx.t
    choices = [
        ctx.choice(name, "core.set_language", locale)
        for locale, name in LANGUAGE_NAMES.items()
        if locale != ctx.locale
    ]
    ctx.reply(
        t(
            "Welcome to the partner assistant! Please send the invitation code you were given "
            "(8 letters and digits, like ABCD-EFGH)."
        ),
        choices,
    )


@router.on_state(OnboardingState.AWAITING_CODE, roles=(), guest=True)
async def code_entered(ctx: Context) -> None:
    if not ctx.text:
        ctx.reply(ctx.t("Please send your invitation code as text, like ABCD-EFGH."))
        return
    await _redeem(ctx, ctx.text)


@router.on_text(lambda _text: True, roles=(), guest=True)
async def stranger_says_something(ctx: Context) -> None:
    await welcome(ctx, ctx.text if _looks_like_code(ctx.text) else "")


def _looks_like_code(text: str) -> bool:
    return normalise_code(text) is not None


async def _redeem(ctx: Context, text: str) -> None:
    t = ctx.t
    incoming = ctx.incoming
    account = ChatAccount(
        incoming.platform, incoming.user_ref, incoming.chat_ref, incoming.display_name
    )
    result = await redeem_invitation(
        ctx.session, ctx.clock, account, text, locale=ctx.locale, timezone=ctx.settings.timezone
    )
    match result.outcome:
        case Redemption.BOUND:
            await _joined(ctx)
        case Redemption.MALFORMED:
            ctx.goto(OnboardingState.AWAITING_CODE)
            ctx.reply(
                t(
                    "That does not look like an invitation code. A code has 8 letters and "
                    "digits, like ABCD-EFGH. Please try again."
                )
            )
        case Redemption.NOT_FOUND:
            ctx.goto(OnboardingState.AWAITING_CODE)
            ctx.reply(
                t(
                    "I could not find that invitation code. Please check it and try again "
                    "({left} tries left before a 15-minute pause).",
                    left=result.misses_left,
                )
            )
        case Redemption.LOCKED:
            assert result.locked_until is not None
            ctx.goto(OnboardingState.AWAITING_CODE)
            ctx.reply(
                t(
                    "Too many wrong codes. For your security, please wait 15 minutes and try "
                    "again after {time}.",
                    time=local_time(result.locked_until, ctx.settings.timezone),
                )
            )
        case Redemption.USED:
            ctx.goto(OnboardingState.AWAITING_CODE)
            ctx.reply(
                t(
                    "This invitation code has already been used. Each code works once; please "
                    "ask the person who invited you for a new one."
                )
            )
        case Redemption.EXPIRED:
            assert result.expired_at is not None
            ctx.goto(OnboardingState.AWAITING_CODE)
            ctx.reply(
                t(
                    "This invitation code expired on {time}. Please ask the person who "
                    "invited you for a new one.",
                    time=local_time(result.expired_at, ctx.settings.timezone),
                )
            )
        case Redemption.ALREADY_BOUND:
            ctx.finish()
            ctx.reply(t("This chat account has already joined. Send /menu to begin."))


async def _joined(ctx: Context) -> None:
    person = await person_for_identity(ctx.session, ctx.incoming.platform, ctx.incoming.user_ref)
    assert person is not None
    ctx.person = person
    if not person.name:
        ctx.goto(OnboardingState.AWAITING_NAME)
        ctx.reply(ctx.t("You're in! What name should we call you?"), takes_numbers=False)
        return
    _greet(ctx, person)


@router.on_state(OnboardingState.AWAITING_NAME)
async def name_entered(ctx: Context) -> None:
    name = " ".join(ctx.text.split())
    if not name or len(name) > MAX_NAME or name.startswith("/"):
        ctx.reply(
            ctx.t("Please send your name as text, at most {limit} characters.", limit=MAX_NAME),
            takes_numbers=False,
        )
        return
    assert ctx.person is not None
    await rename_user(ctx.session, ctx.person.user_id, name)
    person = await person_for_identity(ctx.session, ctx.incoming.platform, ctx.incoming.user_ref)
    assert person is not None
    _greet(ctx, person)


def _greet(ctx: Context, person: Person) -> None:
    ctx.finish()
    t = ctx.t
    if person.distributor is not None:
        greeting = t(
            "Welcome aboard, {name}! You have joined {distributor} as {role}.",
            name=person.name,
            distributor=person.distributor.name,
            role=role_name(t, person.role),
        )
    else:
        greeting = t(
            "Welcome aboard, {name}! You have joined as {role}.",
            name=person.name,
            role=role_name(t, person.role),
        )
    ctx.main_menu(greeting + "\n" + t("What would you like to do?"))
