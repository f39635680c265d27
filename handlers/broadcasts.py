"""Broadcasts in chat: managers compose, target, preview, send and follow up; everyone else
reads the announcements sent to them and acknowledges the ones that ask for it.

Composing keeps an unsent draft row (its attachment does not belong in conversation state);
every compose button checks the role and that the draft is the presser's own and unsent. The
recipient's buttons arrive from notices ("n:broadcasts.ack:<id>"), so they check that the
presser was a recipient of that broadcast.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain.broadcasts import (
    ALL_LOCALES,
    MAX_ATTACHMENT,
    MAX_TEXT,
    NO_PLATFORM,
    AttachmentFile,
    BroadcastStatus,
    BroadcastSummary,
    Counts,
    Draft,
    DraftView,
    Outcome,
    Segment,
    acknowledge,
    announcement_for,
    announcements_for,
    broadcast_bodies,
    broadcast_report,
    broadcast_summary,
    cancel_broadcast,
    count_audience,
    count_by_locale,
    create_broadcast,
    draft_for,
    recent_broadcasts,
    recipient_rows,
    renudge,
    schedule_broadcast,
    segment_choices,
    send_broadcast,
    set_bodies,
    unknown_codes,
    unknown_reps,
    update_draft,
)
from domain.enums import SUPPORTED_LOCALES, Role
from domain.outbox import NOTICE_PREFIX
from handlers.context import Context, whole_number
from handlers.formatting import ROLE_NAMES, local_time, role_name
from handlers.i18n import N_, Translate
from handlers.router import EVERYONE, Router
from handlers.types import Attachment, Choice

MANAGERS = (Role.MANAGER, Role.ADMIN)
GRADES = ("A", "B", "C", "D")
MAX_CHOSEN = 50
SHOWN_UNACKNOWLEDGED = 30

STATUS_NAMES = {
    BroadcastStatus.DRAFT: N_("draft"),
    BroadcastStatus.SCHEDULED: N_("scheduled"),
    BroadcastStatus.SENDING: N_("sending"),
    BroadcastStatus.SENT: N_("sent"),
    BroadcastStatus.CANCELLED: N_("cancelled"),
}
PLATFORM_NAMES = {
    "telegram": N_("Telegram"),
    "wechat_mp": N_("WeChat"),
    "wecom": N_("WeCom"),
    "console": N_("console"),
    NO_PLATFORM: N_("no chat account yet"),
}
LANGUAGE_NAMES = {"zh_CN": N_("Chinese"), "en": N_("English")}


class BroadcastsState(StrEnum):
    TEXT_ALL = "broadcasts.text_all"
    TEXT_ZH = "broadcasts.text_zh"
    TEXT_EN = "broadcasts.text_en"
    ATTACHMENT = "broadcasts.attachment"
    AUDIENCE = "broadcasts.audience"
    TYPED = "broadcasts.typed"  # cities, codes, a tier-1 or a rep typed in
    REVIEW = "broadcasts.review"
    SEND_AT = "broadcasts.send_at"


TYPED_FIELDS = {
    "cities": N_("Type the cities, separated by commas (for example 深圳, 佛山):"),
    "codes": N_("Type the distributor codes, separated by commas (for example D2001, D2004):"),
    "networks": N_("Type the code of the tier-1 distributor whose network should get it:"),
    "reps": N_("Type the code of the field rep whose accounts should get it:"),
}

router = Router("broadcasts", BroadcastsState)
router.menu_entry(N_("Broadcasts"), "list", roles=MANAGERS, order=400)
router.menu_entry(N_("Announcements"), "inbox", roles=EVERYONE, order=450)


def _back(ctx: Context) -> Choice:
    return ctx.choice(ctx.t("Back to menu"), "core.menu")


def _notice(action: str, arg: int) -> str:
    return f"{NOTICE_PREFIX}{router.action(action)}:{arg}"


# -- what recipients see (also the preview) ------------------------------------------------------


def notice_body(
    t: Translate,
    broadcast_id: int,
    author: str,
    text: str,
    *,
    requires_ack: bool,
    attachment: AttachmentFile | None,
    nudge: bool = False,
) -> dict[str, Any]:
    lines = []
    if nudge:
        lines.append(t("Reminder: please confirm that you have read this announcement."))
    lines.append(t("📢 Announcement from {name}:", name=author))
    lines += ["", text]
    if attachment is not None:
        lines += ["", f"📎 {attachment.filename}"]
    if requires_ack:
        lines += ["", t("Please tap the button to confirm that you have read it.")]
    choices: list[list[str]] = []
    if requires_ack:
        choices.append([t("I have read this"), _notice("ack", broadcast_id)])
    if attachment is not None:
        choices.append([t("Open the attachment"), _notice("read", broadcast_id)])
    return {"text": "\n".join(lines), "choices": choices}


def _bodies(
    ctx: Context, draft: DraftView, author: str, *, nudge: bool = False
) -> dict[str, dict[str, Any]]:
    return {
        locale: notice_body(
            ctx.translator.bind(locale),
            draft.id,
            author,
            draft.text_for(locale),
            requires_ack=draft.requires_ack,
            attachment=draft.attachment,
            nudge=nudge,
        )
        for locale in SUPPORTED_LOCALES
    }


def _attachment_reply(
    attachment: AttachmentFile | None,
) -> tuple[Attachment | None, Attachment | None]:
    """The image and the document of a reply."""
    if attachment is None:
        return None, None
    file = Attachment(
        attachment.kind, attachment.filename, attachment.content, attachment.media_type
    )
    if attachment.kind == "image":
        return file, None
    return None, file


# -- composing ------------------------------------------------------------------------------------


@router.command("broadcast", N_("write an announcement to distributors"), roles=MANAGERS)
async def broadcast_command(ctx: Context) -> None:
    await new_broadcast(ctx)


@router.button("new", roles=MANAGERS)
async def new_broadcast(ctx: Context) -> None:
    t = ctx.t
    ctx.finish()
    ctx.reply(
        t(
            "New broadcast. Will you write one text for everyone, or Chinese and English "
            "separately (each reader gets their language)? Send /cancel to stop."
        ),
        [
            ctx.choice(t("One text for everyone"), router.action("mode"), "all"),
            ctx.choice(t("Chinese, then English"), router.action("mode"), "both"),
            _back(ctx),
        ],
    )


@router.button("mode", roles=MANAGERS)
async def choose_mode(ctx: Context) -> None:
    assert ctx.button is not None
    t = ctx.t
    if ctx.button.arg == "both":
        ctx.goto(BroadcastsState.TEXT_ZH, texts={})
        ctx.reply(t("Send the Chinese text of the announcement."), takes_numbers=False)
    else:
        ctx.goto(BroadcastsState.TEXT_ALL, texts={})
        ctx.reply(t("Send the text of the announcement."), takes_numbers=False)


def _clean_text(ctx: Context) -> str | None:
    text = ctx.incoming.text.strip()
    if not text:
        ctx.reply(ctx.t("Please send the announcement as text."), takes_numbers=False)
        return None
    if len(text) > MAX_TEXT:
        ctx.reply(
            ctx.t(
                "That is {count} characters; an announcement can have at most {limit}.",
                count=len(text),
                limit=MAX_TEXT,
            ),
            takes_numbers=False,
        )
        return None
    return text


@router.on_state(BroadcastsState.TEXT_ALL, roles=MANAGERS)
async def text_all(ctx: Context) -> None:
    text = _clean_text(ctx)
    if text is not None:
        _ask_attachment(ctx, {ALL_LOCALES: text})


@router.on_state(BroadcastsState.TEXT_ZH, roles=MANAGERS)
async def text_zh(ctx: Context) -> None:
    text = _clean_text(ctx)
    if text is None:
        return
    ctx.goto(BroadcastsState.TEXT_EN, texts={"zh_CN": text})
    ctx.reply(ctx.t("Now send the English text."), takes_numbers=False)


@router.on_state(BroadcastsState.TEXT_EN, roles=MANAGERS)
async def text_en(ctx: Context) -> None:
    text = _clean_text(ctx)
    if text is not None:
        _ask_attachment(ctx, {**ctx.data.get("texts", {}), "en": text})


def _ask_attachment(ctx: Context, texts: Mapping[str, str]) -> None:
    t = ctx.t
    ctx.goto(BroadcastsState.ATTACHMENT, texts=dict(texts))
    ctx.reply(
        t("Send an image or a document to go with it, or tap No attachment."),
        [ctx.choice(t("No attachment"), router.action("no_attachment"))],
    )


@router.on_state(BroadcastsState.ATTACHMENT, roles=MANAGERS)
async def attachment_sent(ctx: Context) -> None:
    t = ctx.t
    files = [a for a in ctx.incoming.attachments if a.kind in ("image", "document")]
    if not files or not files[0].content:
        ctx.reply(
            t("Please send an image or a document, or tap No attachment."),
            [ctx.choice(t("No attachment"), router.action("no_attachment"))],
        )
        return
    file = files[0]
    if len(file.content) > MAX_ATTACHMENT:
        ctx.reply(
            t("That file is too large; please send one under 10 MB."),
            [ctx.choice(t("No attachment"), router.action("no_attachment"))],
        )
        return
    attachment = AttachmentFile(file.kind, file.filename[:200], file.media_type[:100], file.content)
    await _start_draft(ctx, attachment)


@router.button("no_attachment", roles=MANAGERS)
async def no_attachment(ctx: Context) -> None:
    if ctx.state != BroadcastsState.ATTACHMENT.value:
        ctx.reply(ctx.t("This menu has expired. Send /menu for a fresh one."))
        return
    await _start_draft(ctx, None)


async def _start_draft(ctx: Context, attachment: AttachmentFile | None) -> None:
    person = ctx.person
    assert person is not None
    texts = {str(k): str(v) for k, v in ctx.data.get("texts", {}).items()}
    if not texts:
        ctx.finish()
        ctx.main_menu(ctx.t("This menu has expired. Send /menu for a fresh one."))
        return
    key = ":".join(
        [
            ctx.incoming.platform.value,
            ctx.incoming.chat_ref,
            ctx.incoming.user_ref,
            ctx.conversation.secret,
            str(ctx.conversation.version),
        ]
    )
    draft = Draft(author_id=person.user_id, texts=texts, segment=Segment(), attachment=attachment)
    broadcast = await create_broadcast(ctx.session, draft, key[:200], ctx.clock.now())
    ctx.goto(BroadcastsState.AUDIENCE, broadcast=broadcast.id)
    await _show_audience(ctx)


async def _draft(ctx: Context) -> DraftView | None:
    """The presser's own unsent draft of this conversation, or an "expired" answer."""
    person = ctx.person
    assert person is not None
    broadcast_id = ctx.data.get("broadcast")
    draft = (
        await draft_for(ctx.session, int(broadcast_id), person.user_id)
        if isinstance(broadcast_id, int)
        else None
    )
    if draft is None:
        ctx.finish()
        ctx.main_menu(ctx.t("This menu has expired. Send /menu for a fresh one."))
    return draft


def segment_text(t: Translate, segment: Segment) -> str:
    if segment.everyone:
        return t("everyone (all distributor staff)")
    parts = []
    if set(segment.roles) != {Role.DISTRIBUTOR_STAFF, Role.TIER1_STAFF}:
        parts.append(
            t("roles: {roles}", roles=", ".join(role_name(t, role) for role in segment.roles))
        )
    if segment.tiers:
        parts.append(t("tier {tiers}", tiers=", ".join(str(tier) for tier in segment.tiers)))
    if segment.grades:
        parts.append(t("grade {grades}", grades=", ".join(segment.grades)))
    if segment.provinces:
        parts.append(t("province {names}", names=", ".join(segment.provinces)))
    if segment.cities:
        parts.append(t("city {names}", names=", ".join(segment.cities)))
    if segment.networks:
        parts.append(t("network of {codes}", codes=", ".join(segment.networks)))
    if segment.reps:
        parts.append(t("accounts of rep {codes}", codes=", ".join(segment.reps)))
    if segment.codes:
        parts.append(t("distributors {codes}", codes=", ".join(segment.codes)))
    return "; ".join(parts)


def _platform_counts(t: Translate, counts: Mapping[str, int]) -> str:
    return ", ".join(
        f"{t(PLATFORM_NAMES.get(platform, platform))} {count}"
        for platform, count in sorted(counts.items())
    )


async def _show_audience(ctx: Context, intro: str | None = None) -> None:
    draft = await _draft(ctx)
    if draft is None:
        return
    t = ctx.t
    counts = await count_audience(ctx.session, draft.segment)
    total = sum(counts.values())
    lines = [intro] if intro else []
    lines += [
        t("Audience: {segment}", segment=segment_text(t, draft.segment)),
        t("It reaches {total} people", total=total)
        + (f" ({_platform_counts(t, counts)})" if counts else ""),
        t("Narrow it down, or tap Done."),
    ]
    action = router.action("segment")
    choices = [
        ctx.choice(t("Everyone"), action, "everyone"),
        ctx.choice(t("Tier"), action, "tier"),
        ctx.choice(t("Grade"), action, "grade"),
        ctx.choice(t("Province"), action, "province"),
        ctx.choice(t("City"), action, "cities"),
        ctx.choice(t("A tier-1's network"), action, "networks"),
        ctx.choice(t("A field rep's accounts"), action, "reps"),
        ctx.choice(t("Roles"), action, "role"),
        ctx.choice(t("Distributor codes"), action, "codes"),
        ctx.choice(t("Done"), router.action("review")),
    ]
    ctx.reply("\n".join(lines), choices, columns=2)


@router.button("segment", roles=MANAGERS)
async def segment_menu(ctx: Context) -> None:
    assert ctx.button is not None
    draft = await _draft(ctx)
    if draft is None:
        return
    t = ctx.t
    what = ctx.button.arg
    toggle = router.action("toggle")
    if what == "everyone":
        await update_draft(ctx.session, draft.id, _author(ctx), segment=Segment())
        await _show_audience(ctx)
        return
    if what == "tier":
        choices = [
            ctx.choice(_mark(t("Tier {tier}", tier=n), n in draft.segment.tiers), toggle, f"t{n}")
            for n in (1, 2)
        ]
    elif what == "grade":
        choices = [
            ctx.choice(
                _mark(t("Grade {grade}", grade=g), g in draft.segment.grades), toggle, f"g{g}"
            )
            for g in GRADES
        ]
    elif what == "province":
        found = await segment_choices(ctx.session)
        choices = [
            ctx.choice(_mark(name, name in draft.segment.provinces), toggle, f"p{n}")
            for n, name in enumerate(found.provinces[:MAX_CHOSEN])
        ]
    elif what == "role":
        choices = [
            ctx.choice(
                _mark(role_name(t, role), role in draft.segment.roles), toggle, f"r{role.value}"
            )
            for role in ROLE_NAMES
        ]
    elif what in TYPED_FIELDS:
        ctx.goto(BroadcastsState.TYPED, broadcast=draft.id, field=what)
        ctx.reply(t(TYPED_FIELDS[what]), takes_numbers=False)
        return
    else:
        ctx.reply(t("This menu has expired. Send /menu for a fresh one."))
        return
    choices.append(ctx.choice(t("Done"), router.action("audience")))
    ctx.reply(t("Tap to choose or unchoose:"), choices, columns=2)


def _author(ctx: Context) -> int:
    assert ctx.person is not None
    return ctx.person.user_id


def _mark(label: str, chosen: bool) -> str:
    return f"✓ {label}" if chosen else label


@router.button("audience", roles=MANAGERS)
async def back_to_audience(ctx: Context) -> None:
    await _show_audience(ctx)


@router.button("toggle", roles=MANAGERS)
async def toggle(ctx: Context) -> None:
    assert ctx.button is not None
    draft = await _draft(ctx)
    if draft is None:
        return
    kind, value = ctx.button.arg[:1], ctx.button.arg[1:]
    segment = draft.segment
    if kind == "t" and value in ("1", "2"):
        segment = _with(segment, "tiers", _flip(segment.tiers, int(value)))
        again = "tier"
    elif kind == "g" and value in GRADES:
        segment = _with(segment, "grades", _flip(segment.grades, value))
        again = "grade"
    elif kind == "p" and (number := whole_number(value)) is not None:
        provinces = (await segment_choices(ctx.session)).provinces
        if number >= len(provinces):
            ctx.reply(ctx.t("This menu has expired. Send /menu for a fresh one."))
            return
        segment = _with(segment, "provinces", _flip(segment.provinces, provinces[number]))
        again = "province"
    elif kind == "r" and value in Role._value2member_map_:
        roles = _flip(segment.roles, Role(value))
        segment = _with(segment, "roles", roles or (Role.DISTRIBUTOR_STAFF, Role.TIER1_STAFF))
        again = "role"
    else:
        ctx.reply(ctx.t("This menu has expired. Send /menu for a fresh one."))
        return
    await update_draft(ctx.session, draft.id, _author(ctx), segment=segment)
    ctx.button = type(ctx.button)(router.action("segment"), again)
    await segment_menu(ctx)


def _flip(values: Sequence[Any], value: Any) -> tuple[Any, ...]:
    return tuple(v for v in values if v != value) if value in values else (*values, value)


def _with(segment: Segment, name: str, values: tuple[Any, ...]) -> Segment:
    data = segment.as_json()
    data[name] = [v.value if isinstance(v, Role) else v for v in values]
    return Segment.from_json(data)


_SEPARATORS = re.compile(r"[\s,，、;；]+")


@router.on_state(BroadcastsState.TYPED, roles=MANAGERS)
async def typed_values(ctx: Context) -> None:
    draft = await _draft(ctx)
    if draft is None:
        return
    t = ctx.t
    what = str(ctx.data.get("field", ""))
    text = unicodedata.normalize("NFKC", ctx.incoming.text)
    values = tuple(dict.fromkeys(v for v in _SEPARATORS.split(text) if v))[:MAX_CHOSEN]
    if what not in TYPED_FIELDS or not values or any(len(v) > 50 for v in values):
        ctx.reply(t(TYPED_FIELDS.get(what, TYPED_FIELDS["codes"])), takes_numbers=False)
        return
    if what != "cities":
        values = tuple(v.upper() for v in values)
    unknown: list[str] = []
    if what == "codes":
        unknown = await unknown_codes(ctx.session, distributors=values)
    elif what == "networks":
        unknown = await unknown_codes(ctx.session, tier1s=values)
    elif what == "reps":
        unknown = await unknown_reps(ctx.session, values)
    if unknown:
        ctx.reply(
            t(
                "I don't know these codes: {codes}. Please check and send them again.",
                codes=", ".join(unknown),
            ),
            takes_numbers=False,
        )
        return
    segment = _with(draft.segment, what, values)
    await update_draft(ctx.session, draft.id, _author(ctx), segment=segment)
    ctx.goto(BroadcastsState.AUDIENCE, broadcast=draft.id)
    await _show_audience(ctx)


# -- review, preview, send ------------------------------------------------------------------------


@router.button("review", roles=MANAGERS)
async def review(ctx: Context) -> None:
    draft = await _draft(ctx)
    if draft is None:
        return
    t = ctx.t
    counts = await count_audience(ctx.session, draft.segment)
    total = sum(counts.values())
    ctx.goto(BroadcastsState.REVIEW, broadcast=draft.id)
    lines = [
        t("Ready to send."),
        t("Audience: {segment}", segment=segment_text(t, draft.segment)),
        t("It reaches {total} people", total=total)
        + (f" ({_platform_counts(t, counts)})" if counts else ""),
        (
            t(
                "Acknowledgement: required (re-nudge every {hours} hours, at most {times} times)",
                hours=draft.nudge_interval_hours,
                times=draft.max_nudges,
            )
            if draft.requires_ack
            else t("Acknowledgement: not required")
        ),
    ]
    choices = [
        ctx.choice(t("Preview"), router.action("preview")),
        ctx.choice(
            t("Do not ask to acknowledge") if draft.requires_ack else t("Ask to acknowledge"),
            router.action("ack_toggle"),
        ),
        ctx.choice(t("Change the audience"), router.action("audience")),
        ctx.choice(t("Send now"), router.action("send")),
        ctx.choice(t("Send at a time"), router.action("ask_time")),
        ctx.choice(t("Discard"), router.action("discard")),
    ]
    if total == 0:
        lines.append(t("Nobody is in this audience yet: change it before sending."))
        choices = [
            c
            for c in choices
            if c.payload not in (router.action("send"), router.action("ask_time"))
        ]
    ctx.reply("\n".join(lines), choices, columns=2)


@router.button("ack_toggle", roles=MANAGERS)
async def ack_toggle(ctx: Context) -> None:
    draft = await _draft(ctx)
    if draft is None:
        return
    await update_draft(ctx.session, draft.id, _author(ctx), requires_ack=not draft.requires_ack)
    await review(ctx)


@router.button("preview", roles=MANAGERS)
async def preview(ctx: Context) -> None:
    person = ctx.person
    assert person is not None
    draft = await _draft(ctx)
    if draft is None:
        return
    t = ctx.t
    by_locale = await count_by_locale(ctx.session, draft.segment)
    locales = [locale for locale in SUPPORTED_LOCALES if by_locale.get(locale)] or list(
        SUPPORTED_LOCALES
    )
    bodies = _bodies(ctx, draft, person.name)
    for locale in locales:
        body = bodies[locale]
        ctx.reply(
            t(
                "Preview — as {count} readers in {language} will see it:",
                count=by_locale.get(locale, 0),
                language=t(LANGUAGE_NAMES[locale]),
            )
        )
        # The notice as it arrives: the file itself comes when "Open the attachment" is tapped.
        ctx.reply(
            str(body["text"]),
            [
                ctx.choice(label, router.action("preview_button"), _action_of(payload))
                for label, payload in body["choices"]
            ],
        )
    await review(ctx)


def _action_of(payload: str) -> str:
    """ "n:broadcasts.read:7" -> "read"."""
    return payload.rsplit(".", 1)[-1].partition(":")[0]


@router.button("preview_button", roles=MANAGERS)
async def preview_button(ctx: Context) -> None:
    """A button of the preview: "Open the attachment" shows the file; the others do nothing."""
    draft = await _draft(ctx)
    if draft is None:
        return
    if ctx.button is not None and ctx.button.arg == "read" and draft.attachment is not None:
        image, document = _attachment_reply(draft.attachment)
        ctx.reply(f"📎 {draft.attachment.filename}", image=image, document=document)
    else:
        ctx.reply(ctx.t("That button is only a preview; recipients' buttons work."))
    await review(ctx)


@router.button("discard", roles=MANAGERS)
async def discard(ctx: Context) -> None:
    draft = await _draft(ctx)
    if draft is None:
        return
    await cancel_broadcast(ctx.session, draft.id, ctx.clock.now())
    ctx.finish()
    ctx.main_menu(ctx.t("Discarded; nothing was sent."))


async def _finalise(ctx: Context, draft: DraftView) -> None:
    person = ctx.person
    assert person is not None
    await set_bodies(
        ctx.session,
        draft.id,
        _bodies(ctx, draft, person.name),
        _bodies(ctx, draft, person.name, nudge=True),
    )


@router.button("send", roles=MANAGERS)
async def send_now(ctx: Context) -> None:
    draft = await _draft(ctx)
    if draft is None:
        return
    await _finalise(ctx, draft)
    planned = await send_broadcast(ctx.session, draft.id, ctx.clock.now())
    ctx.finish()
    t = ctx.t
    if planned.outcome is not Outcome.DONE:
        ctx.main_menu(t("This broadcast was already sent."))
        return
    ctx.reply(
        t(
            "Sent to the outbox: {count} people will get it. See the report with /broadcasts.",
            count=planned.targeted,
        ),
        [ctx.choice(t("Report"), router.action("report"), draft.id), _back(ctx)],
    )


@router.button("ask_time", roles=MANAGERS)
async def ask_time(ctx: Context) -> None:
    draft = await _draft(ctx)
    if draft is None:
        return
    ctx.goto(BroadcastsState.SEND_AT, broadcast=draft.id)
    ctx.reply(
        ctx.t(
            "When should it go out? Send a time like 2026-12-24 09:00, 12-24 09:00 or 17:30 "
            "(your time, {timezone}).",
            timezone=_zone_name(ctx),
        ),
        takes_numbers=False,
    )


def _zone_name(ctx: Context) -> str:
    return ctx.person.timezone if ctx.person else ctx.settings.timezone


_WHEN = re.compile(
    r"^(?:(?:(?P<year>\d{4})[-/.年])?(?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})日?\s*)?"
    r"(?P<hour>\d{1,2})[:：点](?P<minute>\d{2})?分?$"
)


def parse_send_time(text: str, now: datetime, timezone: str) -> datetime | None:
    """A local time in the future: "2026-12-24 09:00", "12-24 9:00", "17:30" (today, or
    tomorrow once passed). None when it is not a time or not in the next 90 days."""
    folded = unicodedata.normalize("NFKC", text).strip()
    match = _WHEN.match(folded)
    if match is None:
        return None
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    try:
        when = local_now.replace(
            year=parts.get("year", local_now.year),
            month=parts.get("month", local_now.month),
            day=parts.get("day", local_now.day),
            hour=parts["hour"],
            minute=parts.get("minute", 0),
            second=0,
            microsecond=0,
        )
    except ValueError:
        return None
    if when <= local_now and "day" not in parts:
        when += timedelta(days=1)
    elif when <= local_now and "year" not in parts:
        try:
            when = when.replace(year=when.year + 1)
        except ValueError:
            return None
    if when <= local_now or when - local_now > timedelta(days=90):
        return None
    return when


@router.on_state(BroadcastsState.SEND_AT, roles=MANAGERS)
async def send_at_typed(ctx: Context) -> None:
    draft = await _draft(ctx)
    if draft is None:
        return
    t = ctx.t
    now = ctx.clock.now()
    when = parse_send_time(ctx.incoming.text, now, _zone_name(ctx))
    if when is None:
        ctx.reply(
            t(
                "Please send a time in the next 90 days, like 2026-12-24 09:00 or 17:30 "
                "(or /cancel)."
            ),
            takes_numbers=False,
        )
        return
    person = ctx.person
    assert person is not None
    await _finalise(ctx, draft)
    outcome = await schedule_broadcast(ctx.session, draft.id, person.user_id, when)
    ctx.finish()
    if outcome is not Outcome.DONE:
        ctx.main_menu(t("This broadcast was already sent."))
        return
    ctx.reply(
        t("Scheduled for {time}.", time=local_time(when, _zone_name(ctx))),
        [ctx.choice(t("Report"), router.action("report"), draft.id), _back(ctx)],
    )


# -- following up: the list, the report, re-nudges, cancelling -----------------------------------


@router.command("broadcasts", N_("your broadcasts and who has read them"), roles=MANAGERS)
async def broadcasts_command(ctx: Context) -> None:
    await show_list(ctx)


@router.button("list", roles=MANAGERS)
async def show_list(ctx: Context) -> None:
    t = ctx.t
    found = [
        b for b in await recent_broadcasts(ctx.session, 20) if b.status is not BroadcastStatus.DRAFT
    ][:10]
    choices = [ctx.choice(_line(ctx, b), router.action("report"), b.id) for b in found]
    choices += [ctx.choice(t("New broadcast"), router.action("new")), _back(ctx)]
    title = t("Recent broadcasts:") if found else t("No broadcasts yet.")
    ctx.reply(title, choices)


def _line(ctx: Context, b: BroadcastSummary) -> str:
    t = ctx.t
    when = b.started_at or b.send_at or b.created_at
    snippet = " ".join(b.text_for(ctx.locale).split())[:24]
    return (
        f"#{b.id} · {local_time(when, _zone_name(ctx))} · {t(STATUS_NAMES[b.status])} · {snippet}"
    )


def _counts_line(t: Translate, c: Counts, with_ack: bool) -> str:
    text = t(
        "targeted {targeted} · delivered {delivered} · unreachable {unreachable} · "
        "failed {failed} · waiting {waiting}",
        targeted=c.targeted,
        delivered=c.delivered,
        unreachable=c.unreachable,
        failed=c.failed,
        waiting=c.waiting,
    )
    if c.cancelled:
        text += " · " + t("cancelled {count}", count=c.cancelled)
    if with_ack:
        text += " · " + t("acknowledged {count}", count=c.acknowledged)
    return text


def _broadcast_id(ctx: Context) -> int | None:
    return whole_number(ctx.button.arg) if ctx.button else None


@router.button("report", roles=MANAGERS)
async def show_report(ctx: Context) -> None:
    t = ctx.t
    broadcast_id = _broadcast_id(ctx)
    report = (
        await broadcast_report(ctx.session, broadcast_id, ctx.clock.now())
        if broadcast_id is not None
        else None
    )
    if report is None or report.broadcast.status is BroadcastStatus.DRAFT:
        ctx.reply(t("That broadcast does not exist."), [_back(ctx)])
        return
    b = report.broadcast
    ack = b.requires_ack
    lines = [
        t("Broadcast #{id} — {status}", id=b.id, status=t(STATUS_NAMES[b.status])),
        t("By {name}; audience: {segment}", name=b.author_name, segment=segment_text(t, b.segment)),
    ]
    if b.status is BroadcastStatus.SCHEDULED and b.send_at is not None:
        lines.append(t("Goes out at {time}", time=local_time(b.send_at, _zone_name(ctx))))
    lines += ["", " ".join(b.text_for(ctx.locale).split())[:200], ""]
    lines.append(_counts_line(t, report.total, ack))
    if report.by_platform:
        lines += ["", t("By platform:")]
        lines += [
            f"  {t(PLATFORM_NAMES.get(p, p))}: {_counts_line(t, c, ack)}"
            for p, c in report.by_platform.items()
        ]
    if report.by_region:
        lines += ["", t("By region:")]
        nowhere = t("no region")
        lines += [
            f"  {region or nowhere}: {_counts_line(t, c, ack)}"
            for region, c in report.by_region.items()
        ]
    if ack and b.nudges_sent:
        lines.append(
            t("Re-nudged {times} of {most} times.", times=b.nudges_sent, most=b.max_nudges)
        )
    choices = []
    if ack and b.status in (BroadcastStatus.SENDING, BroadcastStatus.SENT):
        left = report.total.targeted - report.total.acknowledged
        if left:
            choices.append(
                ctx.choice(t("Who has not acknowledged"), router.action("pending"), b.id)
            )
            if b.nudges_sent < b.max_nudges:
                choices.append(ctx.choice(t("Re-nudge them"), router.action("nudge"), b.id))
    if b.status in (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING):
        choices.append(ctx.choice(t("Cancel this broadcast"), router.action("cancel"), b.id))
    choices += [ctx.choice(t("All broadcasts"), router.action("list")), _back(ctx)]
    ctx.reply("\n".join(lines), choices)


@router.button("pending", roles=MANAGERS)
async def show_pending(ctx: Context) -> None:
    t = ctx.t
    broadcast_id = _broadcast_id(ctx)
    summary = await broadcast_summary(ctx.session, broadcast_id) if broadcast_id else None
    if summary is None or summary.status is BroadcastStatus.DRAFT:
        ctx.reply(t("That broadcast does not exist."), [_back(ctx)])
        return
    rows = await recipient_rows(
        ctx.session, summary.id, unacknowledged_only=True, limit=SHOWN_UNACKNOWLEDGED + 1
    )
    lines = [t("Not acknowledged yet:")]
    lines += [
        f"  {r.user_name} ({r.distributor_name or r.user_code})"
        for r in rows[:SHOWN_UNACKNOWLEDGED]
    ]
    if len(rows) > SHOWN_UNACKNOWLEDGED:
        lines.append(t("… and more: export the report for the full list."))
    ctx.reply(
        "\n".join(lines),
        [ctx.choice(t("Report"), router.action("report"), summary.id), _back(ctx)],
    )


@router.button("nudge", roles=MANAGERS)
async def nudge(ctx: Context) -> None:
    t = ctx.t
    broadcast_id = _broadcast_id(ctx)
    if broadcast_id is None:
        ctx.reply(t("That broadcast does not exist."), [_back(ctx)])
        return
    nudged = await renudge(ctx.session, broadcast_id, ctx.clock.now())
    back = [ctx.choice(t("Report"), router.action("report"), broadcast_id), _back(ctx)]
    match nudged.outcome:
        case Outcome.DONE:
            text = t("Re-nudged {count} people who have not acknowledged.", count=nudged.queued)
        case Outcome.TOO_SOON:
            assert nudged.next_at is not None
            text = t(
                "They were nudged recently; the next re-nudge is possible at {time}.",
                time=local_time(nudged.next_at, _zone_name(ctx)),
            )
        case Outcome.NO_NUDGES_LEFT:
            text = t("This broadcast has been re-nudged as often as it may be.")
        case Outcome.NOBODY:
            text = t("Everyone who can be reached has acknowledged it.")
        case Outcome.NOT_FOUND:
            text = t("That broadcast does not exist.")
        case _:
            text = t("This broadcast cannot be re-nudged.")
    ctx.reply(text, back)


@router.button("cancel", roles=MANAGERS)
async def cancel(ctx: Context) -> None:
    t = ctx.t
    broadcast_id = _broadcast_id(ctx)
    if broadcast_id is None:
        ctx.reply(t("That broadcast does not exist."), [_back(ctx)])
        return
    summary = await broadcast_summary(ctx.session, broadcast_id)
    if summary is None or summary.status is BroadcastStatus.DRAFT:
        ctx.reply(t("That broadcast does not exist."), [_back(ctx)])
        return
    cancelled = await cancel_broadcast(ctx.session, broadcast_id, ctx.clock.now())
    back = [ctx.choice(t("Report"), router.action("report"), broadcast_id), _back(ctx)]
    if cancelled.outcome is Outcome.DONE:
        ctx.reply(
            t(
                "Cancelled broadcast #{id}; {count} messages not yet sent will not go out.",
                id=broadcast_id,
                count=cancelled.withdrawn,
            ),
            back,
        )
    else:
        ctx.reply(
            t(
                "Broadcast #{id} is {status}; it can no longer be cancelled.",
                id=broadcast_id,
                status=t(STATUS_NAMES[summary.status]),
            ),
            back,
        )


# -- the recipient's side --------------------------------------------------------------------------


@router.command("announcements", N_("announcements sent to you"), roles=EVERYONE)
async def announcements_command(ctx: Context) -> None:
    await inbox(ctx)


@router.button("inbox", roles=EVERYONE)
async def inbox(ctx: Context) -> None:
    person = ctx.person
    assert person is not None
    t = ctx.t
    found = await announcements_for(ctx.session, person.user_id)
    if not found:
        ctx.reply(t("No announcements for you yet."), [_back(ctx)])
        return
    choices = []
    for item in found:
        b = item.summary
        snippet = " ".join(b.text_for(person.locale).split())[:30]
        mark = "✓ " if item.acknowledged_at else ("• " if b.requires_ack else "")
        when = local_time(b.started_at or b.created_at, person.timezone)[:10]
        choices.append(ctx.choice(f"{mark}{when} {snippet}", router.action("read"), b.id))
    ctx.reply(t("Recent announcements (• waits for your confirmation):"), [*choices, _back(ctx)])


@router.button("read", roles=EVERYONE, notice=True)
async def read(ctx: Context) -> None:
    person = ctx.person
    assert person is not None
    t = ctx.t
    broadcast_id = _broadcast_id(ctx)
    item = (
        await announcement_for(ctx.session, person.user_id, broadcast_id)
        if broadcast_id is not None
        else None
    )
    stored = await broadcast_bodies(ctx.session, broadcast_id) if item and broadcast_id else None
    if item is None or stored is None:
        ctx.reply(t("That announcement is not one sent to you."), [_back(ctx)])
        return
    b = item.summary
    body: Mapping[str, Any] = stored.bodies.get(person.locale) or next(
        iter(stored.bodies.values()), {}
    )
    text = str(body.get("text", "")) if body else b.text_for(person.locale)
    choices = []
    if (
        b.requires_ack
        and item.acknowledged_at is None
        and b.status is not BroadcastStatus.CANCELLED
    ):
        choices.append(Choice(t("I have read this"), _notice("ack", b.id)))
    elif item.acknowledged_at is not None:
        text += "\n\n" + t(
            "You confirmed reading this at {time}.",
            time=local_time(item.acknowledged_at, person.timezone),
        )
    choices += [ctx.choice(t("Announcements"), router.action("inbox")), _back(ctx)]
    image, document = _attachment_reply(stored.attachment)
    ctx.reply(text, choices, image=image, document=document)


@router.button("ack", roles=EVERYONE, notice=True)
async def ack(ctx: Context) -> None:
    person = ctx.person
    assert person is not None
    t = ctx.t
    broadcast_id = _broadcast_id(ctx)
    if broadcast_id is None:
        ctx.reply(t("That announcement is not one sent to you."), [_back(ctx)])
        return
    outcome = await acknowledge(ctx.session, broadcast_id, person.user_id, ctx.clock.now())
    more = [ctx.choice(t("Announcements"), router.action("inbox")), _back(ctx)]
    match outcome:
        case Outcome.DONE:
            ctx.reply(t("Thank you — noted that you have read it."), more)
        case Outcome.ALREADY:
            ctx.reply(t("You have already confirmed this one. Thank you."), more)
        case Outcome.WRONG_STATUS:
            ctx.reply(t("This announcement does not ask for a confirmation."), more)
        case _:
            ctx.reply(t("That announcement is not one sent to you."), more)
