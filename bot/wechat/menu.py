"""The menu under the chat input: each click (EventKey `cmd:NAME`) stands for a main-menu command.

`partnerbot wechat menu` publishes it to the Official Account and to the WeCom application.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from bot.wechat.api import ApiResult, ApiUnavailable, OfficialAccountApi, WeComApi
from handlers.i18n import N_, Translate

if TYPE_CHECKING:
    from bot.bootstrap import App

# Offered when the engine knows the command, in this order; the first two sit on the bar.
MENU_COMMANDS: tuple[tuple[str, str], ...] = (
    ("order", N_("Order stock")),
    ("orders", N_("My orders")),
    ("menu", N_("Menu")),
    ("profile", N_("My profile")),
    ("lang", N_("Language")),
    ("help", N_("Help")),
)
TOP_LEVEL = 2
MAX_SUB_BUTTONS = 5


def build_menu(commands: Collection[str], t: Translate) -> dict[str, Any]:
    entries = [
        {"type": "click", "name": t(label), "key": f"cmd:{name}"}
        for name, label in MENU_COMMANDS
        if name in commands
    ]
    if len(entries) <= TOP_LEVEL + 1:
        return {"button": entries}
    more = entries[TOP_LEVEL : TOP_LEVEL + MAX_SUB_BUTTONS]
    return {"button": [*entries[:TOP_LEVEL], {"name": t("More"), "sub_button": more}]}


def menu_json(menu: dict[str, Any]) -> str:
    return json.dumps(menu, ensure_ascii=False, indent=2)


async def publish_menu(app: App, *, dry_run: bool = False) -> int:
    """`partnerbot wechat menu`: print the menu, then publish it on each configured platform."""
    t = app.translator.bind(app.settings.default_locale)
    if app.wechat is None:
        print(
            t("WeChat is not configured: set PARTNERBOT_WECHAT_* or PARTNERBOT_WECOM_*."),
            file=sys.stderr,
        )
        return 2
    menu = build_menu(app.engine.commands, t)
    print(menu_json(menu))
    if dry_run:
        return 0
    targets: list[tuple[str, OfficialAccountApi | WeComApi]] = []
    if app.wechat.official_account is not None:
        targets.append((t("the Official Account"), app.wechat.official_account.api))
    if app.wechat.wecom is not None:
        targets.append((t("the WeCom application"), app.wechat.wecom.api))
    status = 0
    for platform, api in targets:
        try:
            result: ApiResult = await api.create_menu(menu)
            reason = "" if result.ok else f"{result.errcode} {result.errmsg}"
        except ApiUnavailable as exc:
            reason = str(exc)
        if reason:
            status = 1
            print(
                t(
                    "Publishing the menu on {platform} failed: {reason}",
                    platform=platform,
                    reason=reason,
                ),
                file=sys.stderr,
            )
        else:
            print(t("The menu is published on {platform}.", platform=platform))
    return status
