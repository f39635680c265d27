"""A restart (new engine, same database) loses nothing: half-finished talks and menus carry on."""

from __future__ import annotations

from bot.bootstrap import App, bootstrap
from bot.config import Settings
from domain.clock import FixedClock
from handlers.onboarding import OnboardingState
from tests.handlers.engine_support import (
    EXPIRED_EN,
    conversation,
    everyone_speaks_english,
    number_of,
    payload_for,
    pressed,
    said,
    texts,
)


async def test_onboarding_waiting_for_a_name_resumes_after_a_restart(
    demo_app: App, settings: Settings, clock: FixedClock
) -> None:
    newcomer = "newcomer-42"
    hello = await demo_app.engine.handle(said(newcomer, "hello", language_hint="en"))
    english_before_code = payload_for(hello, "core.set_language")  # stamped before the code
    asked = await demo_app.engine.handle(said(newcomer, "NEWP-ART2", language_hint="en"))
    assert "What name should we call you?" in texts(asked)
    await demo_app.aclose()

    restarted = bootstrap(settings, clock=clock)
    try:
        assert restarted.engine is not demo_app.engine
        found = await conversation(restarted, newcomer)
        assert found is not None
        assert found.state == OnboardingState.AWAITING_NAME.value

        # A button from before the name was asked belongs to an older state: expired, no effect.
        stale = await restarted.engine.handle(
            pressed(newcomer, english_before_code, language_hint="en")
        )
        assert texts(stale) == EXPIRED_EN
        still = await conversation(restarted, newcomer)
        assert still is not None
        assert (still.state, still.version) == (found.state, found.version)

        greeted = await restarted.engine.handle(said(newcomer, "Zhou Xiaohong"))
        assert "Welcome aboard, Zhou Xiaohong!" in texts(greeted)
        assert "佛山顺达贸易" in texts(greeted)
        done = await conversation(restarted, newcomer)
        assert done is not None
        assert done.state is None
    finally:
        await restarted.aclose()


async def test_a_menu_sent_before_a_restart_still_works_after_it(
    demo_app: App, settings: Settings, clock: FixedClock
) -> None:
    await everyone_speaks_english(demo_app)
    menu = await demo_app.engine.handle(said("T101", "/menu"))
    profile = payload_for(menu, "profile.show")
    await demo_app.aclose()

    restarted = bootstrap(settings, clock=clock)
    try:
        shown = await restarted.engine.handle(pressed("T101", profile))
        assert "Role: tier-1 distributor staff" in texts(shown)
        # The console's numbered options survive too: the menu is kept with the conversation.
        number = number_of(await restarted.engine.handle(said("T101", "/menu")), "My network")
        network = await restarted.engine.handle(said("T101", number))
        assert "Your network: 3 tier-2 distributors" in texts(network)
    finally:
        await restarted.aclose()


async def test_a_button_from_before_a_state_change_expires_across_a_restart(
    demo_app: App, settings: Settings, clock: FixedClock
) -> None:
    stranger = "stranger-restart"
    first = await demo_app.engine.handle(said(stranger, "hi", language_hint="en"))
    old = payload_for(first, "core.set_language")
    second = await demo_app.engine.handle(said(stranger, "/start", language_hint="en"))
    current = payload_for(second, "core.set_language")
    await demo_app.aclose()

    restarted = bootstrap(settings, clock=clock)
    try:
        assert (
            texts(await restarted.engine.handle(pressed(stranger, old, language_hint="en")))
            == EXPIRED_EN
        )
        switched = await restarted.engine.handle(pressed(stranger, current))
        assert "我" in texts(switched)  # 中文 chosen: the current button works
    finally:
        await restarted.aclose()
