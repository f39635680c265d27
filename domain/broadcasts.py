"""Manager broadcasts: who a segment reaches, planning and enqueuing them set-based, cancelling,
acknowledgement, re-nudges and the delivery report.

A broadcast is composed with its notices already rendered per language (`bodies`), so planning
needs no catalog: it copies the audience into `broadcast_recipients` and the outbox with two
INSERT … SELECT statements per language, whatever the audience's size. Each person's outbox row
has the key `broadcast:{id}:{user}`, so planning twice (a double tap, a sweep run twice) queues
nothing twice. Recipients' delivery states mirror their outbox rows (`refresh_states`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from domain.db import dialect_of
from domain.enums import SUPPORTED_LOCALES, Role
from domain.models import (
    Broadcast,
    BroadcastRecipient,
    ChatIdentity,
    Distributor,
    OutboxMessage,
    User,
)
from domain.outbox import OutboxStatus

KIND = "broadcast"
NUDGE_KIND = "broadcast.nudge"
ALL_LOCALES = "*"  # texts/bodies key: one text for every language
NO_PLATFORM = "none"  # report key for people with no chat account yet
DEFAULT_ROLES = (Role.DISTRIBUTOR_STAFF, Role.TIER1_STAFF)
MAX_TEXT = 3000
MAX_ATTACHMENT = 10 * 1024 * 1024


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"  # planned and queued; the outbox is delivering
    SENT = "sent"  # every recipient's message has settled (delivered, unreachable or failed)
    CANCELLED = "cancelled"


class RecipientState(StrEnum):
    QUEUED = "queued"
    DELIVERED = "delivered"
    UNREACHABLE = "unreachable"  # blocked, unsubscribed, outside the WeChat window, no chat
    FAILED = "failed"
    CANCELLED = "cancelled"


class Outcome(StrEnum):
    DONE = "done"
    NOT_FOUND = "not_found"
    WRONG_STATUS = "wrong_status"  # already sent, already cancelled, not scheduled ...
    NOT_RECIPIENT = "not_recipient"
    ALREADY = "already"  # acknowledged before
    TOO_SOON = "too_soon"  # a re-nudge within the interval
    NO_NUDGES_LEFT = "no_nudges_left"
    NOBODY = "nobody"  # no one left to nudge


# -- segments ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    """Who a broadcast reaches. Dimensions combine with AND; values within one with OR; an
    empty dimension does not filter. No dimension at all: everyone in `roles`.

    Distributor dimensions (tiers … codes) only match people of a distributor, so brand roles
    (reps, managers) are reached only by a segment that filters on roles alone.
    """

    roles: tuple[Role, ...] = DEFAULT_ROLES
    tiers: tuple[int, ...] = ()
    grades: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()  # tier-1 distributor codes: the tier-1 and its tier-2s
    reps: tuple[str, ...] = ()  # field reps' user codes: their accounts
    codes: tuple[str, ...] = ()  # distributor codes

    @property
    def everyone(self) -> bool:
        return not self.filters_distributors and set(self.roles) == set(DEFAULT_ROLES)

    @property
    def filters_distributors(self) -> bool:
        return bool(
            self.tiers
            or self.grades
            or self.provinces
            or self.cities
            or self.networks
            or self.reps
            or self.codes
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "roles": [role.value for role in self.roles],
            "tiers": list(self.tiers),
            "grades": list(self.grades),
            "provinces": list(self.provinces),
            "cities": list(self.cities),
            "networks": list(self.networks),
            "reps": list(self.reps),
            "codes": list(self.codes),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Segment:
        def strings(key: str) -> tuple[str, ...]:
            value = data.get(key) or ()
            return tuple(str(item) for item in value) if isinstance(value, list | tuple) else ()

        roles = tuple(Role(r) for r in strings("roles") if r in Role._value2member_map_)
        tiers = tuple(int(t) for t in strings("tiers") if t in ("1", "2"))
        return cls(
            roles=roles or DEFAULT_ROLES,
            tiers=tiers,
            grades=strings("grades"),
            provinces=strings("provinces"),
            cities=strings("cities"),
            networks=strings("networks"),
            reps=strings("reps"),
            codes=strings("codes"),
        )


def _audience_filter(segment: Segment) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        User.active.is_(True),
        User.role.in_([role.value for role in segment.roles]),
        or_(Distributor.id.is_(None), Distributor.status == "active"),
    ]
    if segment.tiers:
        conditions.append(Distributor.tier.in_(segment.tiers))
    if segment.grades:
        conditions.append(Distributor.grade.in_(segment.grades))
    if segment.provinces:
        conditions.append(Distributor.province.in_(segment.provinces))
    if segment.cities:
        conditions.append(Distributor.city.in_(segment.cities))
    if segment.codes:
        conditions.append(Distributor.code.in_(segment.codes))
    if segment.networks:
        heads = select(Distributor.id).where(
            Distributor.code.in_(segment.networks), Distributor.tier == 1
        )
        conditions.append(
            or_(Distributor.id.in_(heads.scalar_subquery()), Distributor.parent_id.in_(heads))
        )
    if segment.reps:
        reps = select(User.id).where(User.code.in_(segment.reps), User.role == Role.FIELD_REP.value)
        conditions.append(Distributor.rep_id.in_(reps.scalar_subquery()))
    return conditions


def _platform_of_user() -> Any:
    """The platform of the person's most recently bound chat account, reachable ones first."""
    return (
        select(ChatIdentity.platform)
        .where(ChatIdentity.user_id == User.id)
        .order_by(
            case((ChatIdentity.unreachable_since.is_(None), 0), else_=1),
            ChatIdentity.bound_at.desc(),
            ChatIdentity.id.desc(),
        )
        .limit(1)
        .correlate(User)
        .scalar_subquery()
    )


def _audience(segment: Segment) -> Select[Any]:
    platform = _platform_of_user().label("platform")
    return (
        select(
            User.id.label("user_id"),
            platform,
            User.locale.label("locale"),
            Distributor.province.label("province"),
            Distributor.city.label("city"),
        )
        .select_from(User)
        .outerjoin(Distributor, Distributor.id == User.distributor_id)
        .where(*_audience_filter(segment))
    )


async def count_audience(session: AsyncSession, segment: Segment) -> dict[str, int]:
    """How many people the segment reaches, by platform (`NO_PLATFORM`: no chat account)."""
    audience = _audience(segment).subquery()
    rows = await session.execute(
        select(audience.c.platform, func.count()).group_by(audience.c.platform)
    )
    return {platform or NO_PLATFORM: int(count) for platform, count in rows}


async def count_by_locale(session: AsyncSession, segment: Segment) -> dict[str, int]:
    audience = _audience(segment).subquery()
    rows = await session.execute(
        select(audience.c.locale, func.count()).group_by(audience.c.locale)
    )
    return {_locale_key(locale): int(count) for locale, count in rows}


def _locale_key(locale: str | None) -> str:
    return locale if locale in SUPPORTED_LOCALES else SUPPORTED_LOCALES[0]


@dataclass(frozen=True, slots=True)
class SegmentChoices:
    """What exists to choose from: provinces, cities, tier-1s and reps."""

    provinces: tuple[str, ...]
    tier1s: tuple[tuple[str, str], ...]  # code, name
    reps: tuple[tuple[str, str], ...]  # code, name


async def segment_choices(session: AsyncSession) -> SegmentChoices:
    provinces = await session.scalars(
        select(Distributor.province).distinct().order_by(Distributor.province)
    )
    tier1s = await session.execute(
        select(Distributor.code, Distributor.name)
        .where(Distributor.tier == 1)
        .order_by(Distributor.code)
    )
    reps = await session.execute(
        select(User.code, User.name)
        .where(User.role == Role.FIELD_REP.value, User.active.is_(True))
        .order_by(User.code)
    )
    return SegmentChoices(
        tuple(provinces), tuple((c, n) for c, n in tier1s), tuple((c, n) for c, n in reps)
    )


async def unknown_codes(
    session: AsyncSession, *, distributors: Iterable[str] = (), tier1s: Iterable[str] = ()
) -> list[str]:
    """Codes that name no distributor (or no tier-1), to tell the manager before sending."""
    wanted = list(dict.fromkeys([*distributors, *tier1s]))
    if not wanted:
        return []
    rows = await session.execute(
        select(Distributor.code, Distributor.tier).where(Distributor.code.in_(wanted))
    )
    found = {code: tier for code, tier in rows}
    tier1_codes = set(tier1s)
    return [
        code for code in wanted if code not in found or (code in tier1_codes and found[code] != 1)
    ]


async def unknown_reps(session: AsyncSession, codes: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        return []
    found = set(
        await session.scalars(
            select(User.code).where(User.code.in_(wanted), User.role == Role.FIELD_REP.value)
        )
    )
    return [code for code in wanted if code not in found]


# -- composing, planning, enqueuing ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttachmentFile:
    kind: str  # "image" | "document"
    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Draft:
    """A composed broadcast. `texts`: {"*": text} or {"zh_CN": ..., "en": ...}."""

    author_id: int
    texts: Mapping[str, str]
    segment: Segment
    requires_ack: bool = False
    nudge_interval: timedelta = timedelta(hours=24)
    max_nudges: int = 3
    attachment: AttachmentFile | None = None
    send_at: datetime | None = None  # None: now

    def text_for(self, locale: str) -> str:
        return (
            self.texts.get(locale)
            or self.texts.get(ALL_LOCALES)
            or next(iter(self.texts.values()), "")
        )


Bodies = Mapping[str, Mapping[str, Any]]  # locale -> {"text": ..., "choices": [[label, p]]}


async def create_broadcast(
    session: AsyncSession, draft: Draft, compose_key: str, now: datetime
) -> Broadcast:
    """Store a broadcast (status draft, or scheduled with `send_at`); bodies come after, since
    their buttons name its id (`set_bodies`)."""
    attachment = draft.attachment
    broadcast = Broadcast(
        compose_key=compose_key,
        author_id=draft.author_id,
        texts=dict(draft.texts),
        bodies={},
        nudge_bodies={},
        attachment_kind=attachment.kind if attachment else None,
        attachment_name=attachment.filename if attachment else None,
        attachment_type=attachment.media_type if attachment else None,
        attachment=attachment.content if attachment else None,
        segment=draft.segment.as_json(),
        requires_ack=draft.requires_ack,
        nudge_interval_hours=max(1, int(draft.nudge_interval / timedelta(hours=1))),
        max_nudges=draft.max_nudges,
        nudges_sent=0,
        status=(BroadcastStatus.SCHEDULED.value if draft.send_at else BroadcastStatus.DRAFT.value),
        targeted=0,
        created_at=now,
        send_at=draft.send_at,
    )
    session.add(broadcast)
    await session.flush()
    return broadcast


async def set_bodies(
    session: AsyncSession, broadcast_id: int, bodies: Bodies, nudge_bodies: Bodies
) -> None:
    await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .values(bodies=_plain(bodies), nudge_bodies=_plain(nudge_bodies))
    )


def _plain(bodies: Bodies) -> dict[str, Any]:
    return {
        locale: {
            "text": str(body.get("text", "")),
            "choices": [list(choice) for choice in body.get("choices") or ()],
        }
        for locale, body in bodies.items()
    }


def dedupe_prefix(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:"


def _insert(session: AsyncSession) -> Any:
    return pg_insert if dialect_of(session) == "postgresql" else sqlite_insert


@dataclass(frozen=True, slots=True)
class Planned:
    outcome: Outcome
    targeted: int = 0
    queued: int = 0


async def send_broadcast(session: AsyncSession, broadcast_id: int, now: datetime) -> Planned:
    """Plan and enqueue a draft, or a scheduled broadcast whose time has come.

    The status moves first, in the same transaction: a second call (a double tap, a sweep in
    another process) finds it no longer draft or scheduled and queues nothing.
    """
    claimed = await session.execute(
        update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            or_(
                Broadcast.status == BroadcastStatus.DRAFT.value,
                and_(
                    Broadcast.status == BroadcastStatus.SCHEDULED.value,
                    Broadcast.send_at <= now,
                ),
            ),
        )
        .values(status=BroadcastStatus.SENDING.value, started_at=now)
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        exists = await session.scalar(select(Broadcast.id).where(Broadcast.id == broadcast_id))
        return Planned(Outcome.WRONG_STATUS if exists else Outcome.NOT_FOUND)
    broadcast = (
        await session.execute(
            select(Broadcast.segment, Broadcast.bodies).where(Broadcast.id == broadcast_id)
        )
    ).one()
    segment = Segment.from_json(broadcast.segment)
    bodies: Mapping[str, Any] = broadcast.bodies
    insert = _insert(session)
    audience = _audience(segment).subquery()
    planned = select(
        literal(broadcast_id).label("broadcast_id"),
        audience.c.user_id,
        audience.c.platform,
        audience.c.locale,
        audience.c.province,
        audience.c.city,
        case(
            (audience.c.platform.is_(None), RecipientState.UNREACHABLE.value),
            else_=RecipientState.QUEUED.value,
        ).label("state"),
        literal(0).label("nudges"),
    ).where(true())
    await session.execute(
        insert(BroadcastRecipient)
        .from_select(
            [
                "broadcast_id",
                "user_id",
                "platform",
                "locale",
                "province",
                "city",
                "state",
                "nudges",
            ],
            planned,
        )
        .on_conflict_do_nothing()
    )
    queued = await _enqueue_bodies(
        session,
        broadcast_id,
        bodies,
        kind=KIND,
        key_suffix="",
        now=now,
        extra=[],
    )
    targeted = await session.scalar(
        select(func.count())
        .select_from(BroadcastRecipient)
        .where(BroadcastRecipient.broadcast_id == broadcast_id)
    )
    await session.execute(
        update(Broadcast).where(Broadcast.id == broadcast_id).values(targeted=targeted or 0)
    )
    return Planned(Outcome.DONE, int(targeted or 0), queued)


async def _enqueue_bodies(
    session: AsyncSession,
    broadcast_id: int,
    bodies: Mapping[str, Any],
    *,
    kind: str,
    key_suffix: str,
    now: datetime,
    extra: Sequence[ColumnElement[bool]],
) -> int:
    """One INSERT … SELECT per language from the recipients into the outbox."""
    insert = _insert(session)
    default = SUPPORTED_LOCALES[0]
    queued = 0
    for locale in SUPPORTED_LOCALES:
        body = bodies.get(locale) or bodies.get(ALL_LOCALES) or bodies.get(default)
        if body is None:
            continue
        if locale == default:
            in_language: ColumnElement[bool] = or_(
                BroadcastRecipient.locale == locale,
                BroadcastRecipient.locale.not_in(SUPPORTED_LOCALES),
            )
        else:
            in_language = BroadcastRecipient.locale == locale
        key = literal(dedupe_prefix(broadcast_id)) + cast(BroadcastRecipient.user_id, String)
        if key_suffix:
            key = key + literal(key_suffix)
        rows = select(
            key.label("dedupe_key"),
            BroadcastRecipient.user_id,
            literal(kind).label("kind"),
            literal(dict(body), JSON).label("body"),
            false().label("urgent"),
            literal(OutboxStatus.QUEUED.value).label("status"),
            literal(0).label("attempts"),
            literal(now, OutboxMessage.not_before.type).label("not_before"),
            literal(now, OutboxMessage.created_at.type).label("created_at"),
        ).where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.platform.is_not(None),
            in_language,
            *extra,
        )
        result = await session.execute(
            insert(OutboxMessage)
            .from_select(
                [
                    "dedupe_key",
                    "user_id",
                    "kind",
                    "body",
                    "urgent",
                    "status",
                    "attempts",
                    "not_before",
                    "created_at",
                ],
                rows,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        queued += max(int(result.rowcount or 0), 0)  # type: ignore[attr-defined]
    return queued


async def due_scheduled(session: AsyncSession, now: datetime) -> list[int]:
    rows = await session.scalars(
        select(Broadcast.id)
        .where(Broadcast.status == BroadcastStatus.SCHEDULED.value, Broadcast.send_at <= now)
        .order_by(Broadcast.send_at, Broadcast.id)
    )
    return list(rows)


# -- cancelling ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cancelled:
    outcome: Outcome
    withdrawn: int = 0  # outbox messages that will not go out


async def cancel_broadcast(session: AsyncSession, broadcast_id: int, now: datetime) -> Cancelled:
    """A scheduled broadcast never goes out; a running one stops: what the sender has not
    taken yet is marked cancelled (the sender only takes queued and failed rows)."""
    status = await session.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
    if status is None:
        return Cancelled(Outcome.NOT_FOUND)
    changed = await session.execute(
        update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.status.in_(
                [
                    BroadcastStatus.DRAFT.value,
                    BroadcastStatus.SCHEDULED.value,
                    BroadcastStatus.SENDING.value,
                ]
            ),
        )
        .values(status=BroadcastStatus.CANCELLED.value, cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        return Cancelled(Outcome.WRONG_STATUS)
    await refresh_states(session, broadcast_id, now)  # what already went out stays delivered
    withdrawn = await withdraw_waiting(session, broadcast_id)
    await session.execute(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.state == RecipientState.QUEUED.value,
        )
        .values(state=RecipientState.CANCELLED.value)
        .execution_options(synchronize_session=False)
    )
    return Cancelled(Outcome.DONE, withdrawn)


async def withdraw_waiting(session: AsyncSession, broadcast_id: int) -> int:
    """Mark this broadcast's queued and failed outbox rows cancelled (also its re-nudges)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.dedupe_key.like(f"{dedupe_prefix(broadcast_id)}%"),
            OutboxMessage.status.in_([OutboxStatus.QUEUED.value, OutboxStatus.FAILED.value]),
        )
        .values(status=OutboxStatus.CANCELLED.value, last_error="broadcast cancelled")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# -- delivery states -----------------------------------------------------------------------------


def _outbox_row_of_recipient(broadcast_id: int) -> ColumnElement[bool]:
    key = literal(dedupe_prefix(broadcast_id)) + cast(BroadcastRecipient.user_id, String)
    return OutboxMessage.dedupe_key == key


async def refresh_states(session: AsyncSession, broadcast_id: int, now: datetime) -> None:
    """Mirror each waiting recipient's outbox row into `state`; a broadcast with nobody left
    waiting is sent."""
    status_of = (
        select(
            case(
                (
                    OutboxMessage.status.in_([OutboxStatus.SENT.value, OutboxStatus.SHOWN.value]),
                    RecipientState.DELIVERED.value,
                ),
                (
                    and_(
                        OutboxMessage.status == OutboxStatus.DEAD.value,
                        or_(
                            OutboxMessage.last_error.like("no reachable chat%"),
                            OutboxMessage.last_error.like("unreachable%"),
                        ),
                    ),
                    RecipientState.UNREACHABLE.value,
                ),
                (
                    OutboxMessage.status.in_([OutboxStatus.DEAD.value, OutboxStatus.EXPIRED.value]),
                    RecipientState.FAILED.value,
                ),
                (
                    OutboxMessage.status == OutboxStatus.CANCELLED.value,
                    RecipientState.CANCELLED.value,
                ),
                else_=RecipientState.QUEUED.value,
            )
        )
        .where(_outbox_row_of_recipient(broadcast_id))
        .correlate(BroadcastRecipient)
        .scalar_subquery()
    )
    await session.execute(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.state == RecipientState.QUEUED.value,
            BroadcastRecipient.platform.is_not(None),
        )
        .values(state=func.coalesce(status_of, RecipientState.QUEUED.value))
        .execution_options(synchronize_session=False)
    )
    waiting = await session.scalar(
        select(BroadcastRecipient.user_id)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.state == RecipientState.QUEUED.value,
        )
        .limit(1)
    )
    if waiting is None:
        await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.SENDING.value)
            .values(status=BroadcastStatus.SENT.value, finished_at=now)
            .execution_options(synchronize_session=False)
        )


async def settle_running(session: AsyncSession, now: datetime) -> int:
    """For the sweep: refresh every running broadcast, and withdraw again what the sender put
    back after a cancel (a send in flight at the cancel that failed is retried otherwise)."""
    running = list(
        await session.scalars(
            select(Broadcast.id).where(Broadcast.status == BroadcastStatus.SENDING.value)
        )
    )
    for broadcast_id in running:
        await refresh_states(session, broadcast_id, now)
    recent = now - timedelta(days=7)
    cancelled = await session.scalars(
        select(Broadcast.id).where(
            Broadcast.status == BroadcastStatus.CANCELLED.value,
            Broadcast.started_at.is_not(None),
            Broadcast.cancelled_at >= recent,
        )
    )
    for broadcast_id in cancelled:
        await withdraw_waiting(session, broadcast_id)
    return len(running)


# -- acknowledgement and re-nudges ---------------------------------------------------------------


async def acknowledge(
    session: AsyncSession, broadcast_id: int, user_id: int, now: datetime
) -> Outcome:
    found = (
        await session.execute(
            select(BroadcastRecipient.acknowledged_at, Broadcast.requires_ack, Broadcast.status)
            .join(Broadcast, Broadcast.id == BroadcastRecipient.broadcast_id)
            .where(
                BroadcastRecipient.broadcast_id == broadcast_id,
                BroadcastRecipient.user_id == user_id,
            )
        )
    ).first()
    if found is None:
        return Outcome.NOT_RECIPIENT
    acknowledged_at, requires_ack, status = found
    if not requires_ack or status == BroadcastStatus.CANCELLED.value:
        return Outcome.WRONG_STATUS
    if acknowledged_at is not None:
        return Outcome.ALREADY
    await session.execute(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.user_id == user_id,
            BroadcastRecipient.acknowledged_at.is_(None),
        )
        .values(acknowledged_at=now)
        .execution_options(synchronize_session=False)
    )
    return Outcome.DONE


@dataclass(frozen=True, slots=True)
class Nudged:
    outcome: Outcome
    queued: int = 0
    next_at: datetime | None = None


async def renudge(session: AsyncSession, broadcast_id: int, now: datetime) -> Nudged:
    """Remind those who have not acknowledged, once per interval and at most `max_nudges`
    times; the round number is in the key, so a double tap queues nothing twice."""
    broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None:
        return Nudged(Outcome.NOT_FOUND)
    if not broadcast.requires_ack or broadcast.status not in (
        BroadcastStatus.SENDING.value,
        BroadcastStatus.SENT.value,
    ):
        return Nudged(Outcome.WRONG_STATUS)
    if broadcast.nudges_sent >= broadcast.max_nudges:
        return Nudged(Outcome.NO_NUDGES_LEFT)
    interval = timedelta(hours=broadcast.nudge_interval_hours)
    earliest = (broadcast.last_nudged_at or broadcast.started_at or now) + interval
    if broadcast.last_nudged_at is not None and earliest > now:
        return Nudged(Outcome.TOO_SOON, next_at=earliest)
    unacknowledged: list[ColumnElement[bool]] = [
        BroadcastRecipient.acknowledged_at.is_(None),
        BroadcastRecipient.state.not_in(
            [RecipientState.CANCELLED.value, RecipientState.UNREACHABLE.value]
        ),
    ]
    round_number = broadcast.nudges_sent + 1
    queued = await _enqueue_bodies(
        session,
        broadcast_id,
        broadcast.nudge_bodies or broadcast.bodies,
        kind=NUDGE_KIND,
        key_suffix=f":nudge:{round_number}",
        now=now,
        extra=unacknowledged,
    )
    if not queued:
        return Nudged(Outcome.NOBODY)
    await session.execute(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.platform.is_not(None),
            *unacknowledged,
        )
        .values(nudges=BroadcastRecipient.nudges + 1)
        .execution_options(synchronize_session=False)
    )
    broadcast.nudges_sent = round_number
    broadcast.last_nudged_at = now
    return Nudged(Outcome.DONE, queued, now + interval)


# -- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BroadcastSummary:
    id: int
    status: BroadcastStatus
    texts: Mapping[str, str]
    author_name: str
    created_at: datetime
    send_at: datetime | None
    started_at: datetime | None
    requires_ack: bool
    targeted: int
    attachment_kind: str | None
    attachment_name: str | None
    nudges_sent: int
    max_nudges: int
    nudge_interval_hours: int
    last_nudged_at: datetime | None
    segment: Segment

    def text_for(self, locale: str) -> str:
        return (
            self.texts.get(locale)
            or self.texts.get(ALL_LOCALES)
            or next(iter(self.texts.values()), "")
        )


def _summary_query() -> Select[Broadcast, str]:
    return select(Broadcast, User.name).join(User, User.id == Broadcast.author_id)


def _summary(broadcast: Broadcast, author: str) -> BroadcastSummary:
    return BroadcastSummary(
        id=broadcast.id,
        status=BroadcastStatus(broadcast.status),
        texts={str(k): str(v) for k, v in broadcast.texts.items()},
        author_name=author,
        created_at=broadcast.created_at,
        send_at=broadcast.send_at,
        started_at=broadcast.started_at,
        requires_ack=broadcast.requires_ack,
        targeted=broadcast.targeted,
        attachment_kind=broadcast.attachment_kind,
        attachment_name=broadcast.attachment_name,
        nudges_sent=broadcast.nudges_sent,
        max_nudges=broadcast.max_nudges,
        nudge_interval_hours=broadcast.nudge_interval_hours,
        last_nudged_at=broadcast.last_nudged_at,
        segment=Segment.from_json(broadcast.segment),
    )


async def recent_broadcasts(session: AsyncSession, limit: int = 10) -> list[BroadcastSummary]:
    rows = await session.execute(_summary_query().order_by(Broadcast.id.desc()).limit(limit))
    return [_summary(broadcast, author) for broadcast, author in rows]


async def broadcast_summary(session: AsyncSession, broadcast_id: int) -> BroadcastSummary | None:
    row = (await session.execute(_summary_query().where(Broadcast.id == broadcast_id))).first()
    return _summary(*row) if row else None


@dataclass(frozen=True, slots=True)
class BroadcastBodies:
    bodies: Mapping[str, Any]
    attachment: AttachmentFile | None


async def broadcast_bodies(session: AsyncSession, broadcast_id: int) -> BroadcastBodies | None:
    row = (
        await session.execute(
            select(
                Broadcast.bodies,
                Broadcast.attachment_kind,
                Broadcast.attachment_name,
                Broadcast.attachment_type,
                Broadcast.attachment,
            ).where(Broadcast.id == broadcast_id)
        )
    ).first()
    if row is None:
        return None
    bodies, kind, name, media_type, content = row
    attachment = (
        AttachmentFile(kind, name or "file", media_type or "application/octet-stream", content)
        if kind and content is not None
        else None
    )
    return BroadcastBodies(bodies, attachment)


@dataclass(frozen=True, slots=True)
class Announcement:
    """A broadcast as one recipient sees it in their list."""

    summary: BroadcastSummary
    acknowledged_at: datetime | None


async def announcements_for(
    session: AsyncSession, user_id: int, limit: int = 10
) -> list[Announcement]:
    rows = await session.execute(
        _summary_query()
        .add_columns(BroadcastRecipient.acknowledged_at)
        .join(BroadcastRecipient, BroadcastRecipient.broadcast_id == Broadcast.id)
        .where(
            BroadcastRecipient.user_id == user_id,
            Broadcast.status.in_([BroadcastStatus.SENDING.value, BroadcastStatus.SENT.value]),
        )
        .order_by(Broadcast.started_at.desc(), Broadcast.id.desc())
        .limit(limit)
    )
    return [Announcement(_summary(b, author), at) for b, author, at in rows]


async def announcement_for(
    session: AsyncSession, user_id: int, broadcast_id: int
) -> Announcement | None:
    """The broadcast, if it was sent to this person (and not withdrawn before it started)."""
    row = (
        await session.execute(
            _summary_query()
            .add_columns(BroadcastRecipient.acknowledged_at)
            .join(BroadcastRecipient, BroadcastRecipient.broadcast_id == Broadcast.id)
            .where(
                BroadcastRecipient.user_id == user_id,
                Broadcast.id == broadcast_id,
                Broadcast.status.in_(
                    [
                        BroadcastStatus.SENDING.value,
                        BroadcastStatus.SENT.value,
                        BroadcastStatus.CANCELLED.value,
                    ]
                ),
            )
        )
    ).first()
    if row is None:
        return None
    broadcast, author, at = row
    return Announcement(_summary(broadcast, author), at)


# -- the report ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Counts:
    targeted: int = 0
    delivered: int = 0
    unreachable: int = 0
    failed: int = 0
    waiting: int = 0
    cancelled: int = 0
    acknowledged: int = 0

    def add(self, state: str, acknowledged: bool, count: int) -> None:
        self.targeted += count
        match state:
            case RecipientState.DELIVERED.value:
                self.delivered += count
            case RecipientState.UNREACHABLE.value:
                self.unreachable += count
            case RecipientState.FAILED.value:
                self.failed += count
            case RecipientState.CANCELLED.value:
                self.cancelled += count
            case _:
                self.waiting += count
        if acknowledged:
            self.acknowledged += count


@dataclass(frozen=True, slots=True)
class Report:
    broadcast: BroadcastSummary
    total: Counts
    by_platform: Mapping[str, Counts] = field(default_factory=dict)
    by_region: Mapping[str, Counts] = field(default_factory=dict)


async def broadcast_report(
    session: AsyncSession, broadcast_id: int, now: datetime
) -> Report | None:
    summary = await broadcast_summary(session, broadcast_id)
    if summary is None:
        return None
    if summary.status is BroadcastStatus.SENDING:
        await refresh_states(session, broadcast_id, now)
        summary = await broadcast_summary(session, broadcast_id)
        assert summary is not None
    rows = await session.execute(
        select(
            BroadcastRecipient.platform,
            BroadcastRecipient.province,
            BroadcastRecipient.state,
            BroadcastRecipient.acknowledged_at.is_not(None),
            func.count(),
        )
        .where(BroadcastRecipient.broadcast_id == broadcast_id)
        .group_by(
            BroadcastRecipient.platform,
            BroadcastRecipient.province,
            BroadcastRecipient.state,
            BroadcastRecipient.acknowledged_at.is_not(None),
        )
    )
    total = Counts()
    by_platform: dict[str, Counts] = {}
    by_region: dict[str, Counts] = {}
    for platform, province, state, acknowledged, count in rows:
        total.add(state, bool(acknowledged), count)
        by_platform.setdefault(platform or NO_PLATFORM, Counts()).add(
            state, bool(acknowledged), count
        )
        by_region.setdefault(province or "", Counts()).add(state, bool(acknowledged), count)
    return Report(
        summary,
        total,
        dict(sorted(by_platform.items())),
        dict(sorted(by_region.items())),
    )


@dataclass(frozen=True, slots=True)
class RecipientRow:
    broadcast_id: int
    user_code: str
    user_name: str
    distributor_code: str | None
    distributor_name: str | None
    province: str | None
    city: str | None
    platform: str | None
    locale: str
    state: str
    acknowledged_at: datetime | None
    nudges: int


async def recipient_rows(
    session: AsyncSession,
    broadcast_id: int | None = None,
    *,
    unacknowledged_only: bool = False,
    limit: int | None = None,
) -> list[RecipientRow]:
    """One row per recipient (all broadcasts when `broadcast_id` is None), for the export and
    for the list of who has not acknowledged."""
    query = (
        select(
            BroadcastRecipient.broadcast_id,
            User.code,
            User.name,
            Distributor.code,
            Distributor.name,
            BroadcastRecipient.province,
            BroadcastRecipient.city,
            BroadcastRecipient.platform,
            BroadcastRecipient.locale,
            BroadcastRecipient.state,
            BroadcastRecipient.acknowledged_at,
            BroadcastRecipient.nudges,
        )
        .join(User, User.id == BroadcastRecipient.user_id)
        .outerjoin(Distributor, Distributor.id == User.distributor_id)
        .order_by(BroadcastRecipient.broadcast_id, User.code)
    )
    if broadcast_id is not None:
        query = query.where(BroadcastRecipient.broadcast_id == broadcast_id)
    if unacknowledged_only:
        query = query.where(BroadcastRecipient.acknowledged_at.is_(None))
    if limit is not None:
        query = query.limit(limit)
    return [RecipientRow(*tuple(row)) for row in await session.execute(query)]


# -- drafts ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DraftView:
    id: int
    texts: Mapping[str, str]
    segment: Segment
    requires_ack: bool
    nudge_interval_hours: int
    max_nudges: int
    attachment: AttachmentFile | None

    def text_for(self, locale: str) -> str:
        return (
            self.texts.get(locale)
            or self.texts.get(ALL_LOCALES)
            or next(iter(self.texts.values()), "")
        )


def _own_draft(broadcast_id: int, author_id: int) -> tuple[ColumnElement[bool], ...]:
    """The author's own broadcast, still a draft: whose drafts may be read and changed."""
    return (
        Broadcast.id == broadcast_id,
        Broadcast.author_id == author_id,
        Broadcast.status == BroadcastStatus.DRAFT.value,
    )


async def draft_for(session: AsyncSession, broadcast_id: int, author_id: int) -> DraftView | None:
    """The author's own draft, still unsent; None for anyone else's or a sent one."""
    broadcast = await session.scalar(select(Broadcast).where(*_own_draft(broadcast_id, author_id)))
    if broadcast is None:
        return None
    attachment = (
        AttachmentFile(
            broadcast.attachment_kind,
            broadcast.attachment_name or "file",
            broadcast.attachment_type or "application/octet-stream",
            broadcast.attachment,
        )
        if broadcast.attachment_kind and broadcast.attachment is not None
        else None
    )
    return DraftView(
        id=broadcast.id,
        texts={str(k): str(v) for k, v in broadcast.texts.items()},
        segment=Segment.from_json(broadcast.segment),
        requires_ack=broadcast.requires_ack,
        nudge_interval_hours=broadcast.nudge_interval_hours,
        max_nudges=broadcast.max_nudges,
        attachment=attachment,
    )


async def update_draft(
    session: AsyncSession,
    broadcast_id: int,
    author_id: int,
    *,
    segment: Segment | None = None,
    requires_ack: bool | None = None,
) -> bool:
    values: dict[str, Any] = {}
    if segment is not None:
        values["segment"] = segment.as_json()
    if requires_ack is not None:
        values["requires_ack"] = requires_ack
    if not values:
        return True
    result = await session.execute(
        update(Broadcast)
        .where(*_own_draft(broadcast_id, author_id))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def schedule_broadcast(
    session: AsyncSession, broadcast_id: int, author_id: int, send_at: datetime
) -> Outcome:
    result = await session.execute(
        update(Broadcast)
        .where(*_own_draft(broadcast_id, author_id))
        .values(status=BroadcastStatus.SCHEDULED.value, send_at=send_at)
        .execution_options(synchronize_session=False)
    )
    return Outcome.DONE if result.rowcount else Outcome.WRONG_STATUS  # type: ignore[attr-defined]
