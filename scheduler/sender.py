"""The outbox sender: drains due messages to the chat platforms, paced, retried, recorded.

One round: load a batch of due rows; settle what should not go now (expired, held for quiet
hours, nobody reachable, daily quota spent); send the rest concurrently under each platform's
pacer; record outcomes in batched updates. A row is marked sent only after the platform took
it, so a crash resends at most what was in flight or not yet recorded: at least once, and the
duplicates are bounded by `concurrency` plus one flush.

Who receives: a row goes to its user's most recently bound chat identity that is reachable
(`unreachable_since` is empty) on a platform the sender has a messenger for. Users whose
identities are all on other platforms (the console demo, an adapter not configured) are left
queued for those to show; users whose identities on messenger platforms are all unreachable
are dead-lettered with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.db import Database
from domain.delivery import (
    Delivery,
    DeliveryOutcome,
    Messenger,
    OutgoingMessage,
    Recipient,
)
from domain.enums import Platform
from domain.models import ChatIdentity, OutboxMessage, User
from domain.outbox import OutboxStatus
from scheduler.pacing import DEFAULT_LIMITS, LoopTimer, Pacer, PlatformLimits, Timer
from scheduler.quiet import QuietHours, zone_or_utc

log = logging.getLogger(__name__)

WAITING = (OutboxStatus.QUEUED.value, OutboxStatus.FAILED.value)
MAX_ERROR = 500


@dataclass(frozen=True, slots=True)
class SenderConfig:
    limits: Mapping[Platform, PlatformLimits] = field(default_factory=lambda: DEFAULT_LIMITS)
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    default_timezone: str = "Asia/Shanghai"
    batch_size: int = 200
    flush_size: int = 50
    flush_interval: float = 0.25  # seconds between status writes while sends go on
    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(hours=1)
    idle_poll: float = 1.0  # seconds to wait when nothing is due

    def limits_for(self, platform: Platform) -> PlatformLimits:
        return self.limits.get(platform) or DEFAULT_LIMITS.get(platform) or PlatformLimits()

    def backoff(self, attempts: int) -> timedelta:
        """30 s, 1 min, 2 min, ... up to an hour, after the n-th failed attempt."""
        delay: timedelta = self.backoff_base * (2 ** max(attempts - 1, 0))
        return min(delay, self.backoff_cap)


@dataclass(frozen=True, slots=True)
class IdentityChoice:
    id: int
    platform: Platform
    external_id: str
    chat_ref: str
    bound_at: datetime
    unreachable_since: datetime | None


def choose_identity(
    identities: Sequence[IdentityChoice], platforms: Collection[Platform]
) -> IdentityChoice | None:
    """The most recently bound reachable identity on a platform we can send to."""
    usable = [
        identity
        for identity in identities
        if identity.platform in platforms and identity.unreachable_since is None
    ]
    return max(usable, key=lambda identity: (identity.bound_at, identity.id), default=None)


@dataclass(slots=True)
class RoundReport:
    """What one round did; `sent` + `retried` + `failed` + `dead` are the sends attempted."""

    loaded: int = 0
    sent: int = 0
    retried: int = 0  # the platform said "retry after"
    failed: int = 0  # will be retried with backoff
    dead: int = 0
    held: int = 0  # quiet hours or a spent daily quota
    expired: int = 0
    deferred: int = 0  # a second message to the same chat waits for the next round

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed + self.dead

    @property
    def progressed(self) -> bool:
        return self.attempted + self.held + self.expired > 0


@dataclass(frozen=True, slots=True)
class _Due:
    id: int
    user_id: int
    kind: str
    body: dict[str, Any]
    urgent: bool
    attempts: int
    expires_at: datetime | None
    locale: str
    timezone: str


@dataclass(frozen=True, slots=True)
class _Job:
    row: _Due
    identity: IdentityChoice


class OutboxSender:
    def __init__(
        self,
        db: Database,
        messengers: Mapping[Platform, Messenger],
        clock: Clock,
        config: SenderConfig | None = None,
        timer: Timer | None = None,
    ) -> None:
        self.db = db
        self.messengers: dict[Platform, Messenger] = {
            platform: messenger
            for platform, messenger in messengers.items()
            if platform is not Platform.CONSOLE
        }
        self.clock = clock
        self.config = config or SenderConfig()
        self.timer = timer or LoopTimer()
        self.pacers: dict[Platform, Pacer] = {
            platform: Pacer(self.config.limits_for(platform), self.timer)
            for platform in self.messengers
        }
        self._semaphores: dict[Platform, asyncio.Semaphore] = {
            platform: asyncio.Semaphore(self.config.limits_for(platform).concurrency)
            for platform in self.messengers
        }
        self._pending: list[dict[str, Any]] = []
        self._unreachable: list[int] = []
        self._last_flush = 0.0
        self._flush_lock = asyncio.Lock()
        # Clear while outcomes are being written: no new send starts then, so what was sent
        # but not yet recorded (the duplicates after a crash) stays within one flush plus the
        # sends already in flight, however slow the write.
        self._not_flushing = asyncio.Event()
        self._not_flushing.set()
        self._day_counts: dict[Platform, tuple[date, int]] = {}
        self._report = RoundReport()

    # -- the loop --------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; a round in progress finishes first."""
        log.info("outbox sender started for %s", ", ".join(sorted(self.messengers)) or "nobody")
        while not stop.is_set():
            try:
                report = await self.deliver_due()
            except Exception:
                log.exception("outbox round failed; trying again shortly")
                report = RoundReport()
            if not report.progressed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.config.idle_poll)

    async def deliver_all(self, max_rounds: int = 10_000) -> RoundReport:
        """Rounds until nothing due is left (tests, benchmarks); returns the totals."""
        total = RoundReport()
        for _ in range(max_rounds):
            report = await self.deliver_due()
            for name in RoundReport.__slots__:
                setattr(total, name, getattr(total, name) + getattr(report, name))
            if not report.progressed and not report.deferred:
                break
        return total

    async def deliver_due(self) -> RoundReport:
        """One round over at most `batch_size` due rows."""
        self._report = report = RoundReport()
        if not self.messengers:
            return report
        now = self.clock.now()
        async with self.db.transaction() as session:
            rows = await self._load_due(session, now)
            report.loaded = len(rows)
            if not rows:
                return report
            identities = await self._identities(session, {row.user_id for row in rows})
            jobs, settled = await self._triage(session, rows, identities, now)
            if settled:
                await session.execute(update(OutboxMessage), settled)
        if jobs:
            async with asyncio.TaskGroup() as group:
                for job in jobs:
                    group.create_task(self._send(job))
            await self._flush()
        return report

    # -- loading and triage ------------------------------------------------------------------

    async def _load_due(self, session: AsyncSession, now: datetime) -> list[_Due]:
        """The most pressing due row of each person, most pressing people first.

        One row per person and round keeps one busy chat from filling every batch; that
        person's next row comes in the next round, by when their chat's interval has passed.
        """
        platforms = [platform.value for platform in self.messengers]
        reachable_somewhere = exists().where(
            ChatIdentity.user_id == OutboxMessage.user_id, ChatIdentity.platform.in_(platforms)
        )
        pressing = (OutboxMessage.urgent.desc(), OutboxMessage.not_before, OutboxMessage.id)
        ranked = (
            select(
                OutboxMessage.id,
                func.row_number()
                .over(partition_by=OutboxMessage.user_id, order_by=pressing)
                .label("rank"),
            )
            .where(
                OutboxMessage.status.in_(WAITING),
                OutboxMessage.not_before <= now,
                reachable_somewhere,
            )
            .subquery()
        )
        result = await session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.user_id,
                OutboxMessage.kind,
                OutboxMessage.body,
                OutboxMessage.urgent,
                OutboxMessage.attempts,
                OutboxMessage.expires_at,
                User.locale,
                User.timezone,
            )
            .join(ranked, ranked.c.id == OutboxMessage.id)
            .join(User, User.id == OutboxMessage.user_id)
            .where(ranked.c.rank == 1)
            .order_by(*pressing)
            .limit(self.config.batch_size)
        )
        return [_Due(*row) for row in result.all()]

    async def _identities(
        self, session: AsyncSession, user_ids: Collection[int]
    ) -> dict[int, list[IdentityChoice]]:
        result = await session.execute(
            select(
                ChatIdentity.user_id,
                ChatIdentity.id,
                ChatIdentity.platform,
                ChatIdentity.external_id,
                ChatIdentity.chat_ref,
                ChatIdentity.bound_at,
                ChatIdentity.unreachable_since,
            ).where(
                ChatIdentity.user_id.in_(user_ids),
                ChatIdentity.platform.in_([platform.value for platform in self.messengers]),
            )
        )
        found: dict[int, list[IdentityChoice]] = {}
        for user_id, id_, platform, external_id, chat_ref, bound_at, unreachable in result:
            found.setdefault(user_id, []).append(
                IdentityChoice(
                    id_, Platform(platform), external_id, chat_ref, bound_at, unreachable
                )
            )
        return found

    async def _triage(
        self,
        session: AsyncSession,
        rows: Sequence[_Due],
        identities: Mapping[int, Sequence[IdentityChoice]],
        now: datetime,
    ) -> tuple[list[_Job], list[dict[str, Any]]]:
        """Split rows into sends for this round and updates that settle the others."""
        report = self._report
        quiet = self.config.quiet_hours
        jobs: list[_Job] = []
        settled: list[dict[str, Any]] = []
        chats_this_round: set[tuple[Platform, str]] = set()
        for row in rows:
            change = _change(row, now)
            identity = choose_identity(identities.get(row.user_id, ()), self.messengers)
            if row.expires_at is not None and row.expires_at <= now:
                change.update(status=OutboxStatus.EXPIRED.value, last_error="expired")
                report.expired += 1
            elif identity is None:
                change.update(
                    status=OutboxStatus.DEAD.value,
                    last_error="no reachable chat: every identity is marked unreachable",
                )
                report.dead += 1
            elif not row.urgent and (
                held := quiet.held_until(now, row.timezone or self.config.default_timezone)
            ):
                change.update(not_before=held, last_error=None)
                report.held += 1
            elif (resume := await self._quota_spent(session, identity.platform, now)) is not None:
                change.update(not_before=resume, last_error="daily quota spent")
                report.held += 1
            elif (identity.platform, identity.chat_ref) in chats_this_round:
                report.deferred += 1
                continue
            else:
                chats_this_round.add((identity.platform, identity.chat_ref))
                jobs.append(_Job(row, identity))
                continue
            settled.append(change)
        return jobs, settled

    async def _quota_spent(
        self, session: AsyncSession, platform: Platform, now: datetime
    ) -> datetime | None:
        """When the platform's daily quota is spent: the next local midnight; else None."""
        per_day = self.config.limits_for(platform).per_day
        if per_day is None:
            return None
        zone = zone_or_utc(self.config.default_timezone)
        today = now.astimezone(zone).date()
        day, count = self._day_counts.get(platform, (None, 0))
        if day != today:
            since = datetime.combine(today, time(0), tzinfo=zone)
            count = (
                await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(
                        OutboxMessage.platform == platform.value,
                        OutboxMessage.status == OutboxStatus.SENT.value,
                        OutboxMessage.sent_at >= since,
                    )
                )
                or 0
            )
            self._day_counts[platform] = (today, count)
        if count < per_day:
            self._day_counts[platform] = (today, count + 1)  # reserved for this send
            return None
        tomorrow = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
        return tomorrow.astimezone(UTC)

    # -- sending -------------------------------------------------------------------------------

    async def _send(self, job: _Job) -> None:
        platform = job.identity.platform
        row = job.row
        recipient = Recipient(
            user_id=row.user_id,
            platform=platform,
            external_id=job.identity.external_id,
            chat_ref=job.identity.chat_ref,
            locale=row.locale,
        )
        message = OutgoingMessage(
            kind=row.kind,
            text=str(row.body.get("text", "")),
            choices=tuple(
                (str(label), str(payload)) for label, payload in row.body.get("choices") or ()
            ),
        )
        async with self._semaphores[platform]:
            await self._not_flushing.wait()
            await self.pacers[platform].acquire(job.identity.chat_ref)
            try:
                delivery = await self.messengers[platform].send(recipient, message)
            except Exception as exc:  # a messenger bug must not stop everyone else's messages
                log.exception("messenger %s raised", platform)
                delivery = Delivery(DeliveryOutcome.FAILED, reason=f"{type(exc).__name__}: {exc}")
        await self._record(job, delivery)

    async def _record(self, job: _Job, delivery: Delivery) -> None:
        now = self.clock.now()
        row = job.row
        change = _change(row, now)
        change["platform"] = job.identity.platform.value
        report = self._report
        match delivery.outcome:
            case DeliveryOutcome.DELIVERED:
                change.update(
                    status=OutboxStatus.SENT.value, attempts=row.attempts + 1, sent_at=now
                )
                change["last_error"] = None
                report.sent += 1
            case DeliveryOutcome.RETRY_AFTER:
                wait = max(delivery.retry_after or 1.0, 0.0)
                self.pacers[job.identity.platform].pause(wait)
                change.update(
                    not_before=now + timedelta(seconds=wait),
                    last_error=_reason(f"retry after {wait:g}s", delivery.reason),
                )
                report.retried += 1
            case DeliveryOutcome.UNREACHABLE:
                # Another identity of the same person gets the next try; with none left, the
                # next round dead-letters the row with the reason.
                self._unreachable.append(job.identity.id)
                change.update(
                    status=OutboxStatus.FAILED.value,
                    attempts=row.attempts + 1,
                    last_error=_reason("unreachable", delivery.reason),
                )
                report.failed += 1
            case _:
                attempts = row.attempts + 1
                if attempts >= self.config.max_attempts:
                    change.update(status=OutboxStatus.DEAD.value, attempts=attempts)
                    report.dead += 1
                else:
                    change.update(
                        status=OutboxStatus.FAILED.value,
                        attempts=attempts,
                        not_before=now + self.config.backoff(attempts),
                    )
                    report.failed += 1
                change["last_error"] = _reason("failed", delivery.reason)
        self._pending.append(change)
        if (
            len(self._pending) >= self.config.flush_size
            or self.timer.monotonic() - self._last_flush >= self.config.flush_interval
        ):
            await self._flush()

    async def _flush(self) -> None:
        """Write the recorded outcomes in one transaction."""
        async with self._flush_lock:
            changes, self._pending = self._pending, []
            unreachable, self._unreachable = self._unreachable, []
            self._last_flush = self.timer.monotonic()
            if not changes and not unreachable:
                return
            now = self.clock.now()
            self._not_flushing.clear()
            try:
                async with self.db.transaction() as session:
                    if changes:
                        await session.execute(update(OutboxMessage), changes)
                    if unreachable:
                        await session.execute(
                            update(ChatIdentity)
                            .where(ChatIdentity.id.in_(unreachable))
                            .values(unreachable_since=now)
                        )
            finally:
                self._not_flushing.set()


def _change(row: _Due, now: datetime) -> dict[str, Any]:
    """Every update carries the same keys, so a batch is one executemany."""
    return {
        "id": row.id,
        "status": OutboxStatus.QUEUED.value,
        "attempts": row.attempts,
        "not_before": now,
        "last_error": None,
        "sent_at": None,
        "platform": None,
    }


def _reason(what: str, detail: str) -> str:
    return (f"{what}: {detail}" if detail else what)[:MAX_ERROR]
