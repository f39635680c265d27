"""Holiday greetings: who is greeted on which day, in which words, and what a year looks like.

Every active staff member of an active distributor is greeted on each festival and on their
distributor's anniversary of joining, at `greeting_time` (09:00) in their own timezone, once per
person, occasion and year (key `greeting:{occasion}:{year}:{user}`). A greeting queued on the
day waits for 09:00; one that could not go out before quiet hours start that evening expires
rather than arriving a day late.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import DistributorStatus, Role
from domain.greetings import Occasion, greeting_overrides
from domain.models import Distributor, OutboxMessage, User
from domain.outbox import Notice, enqueue_many
from scheduler.calendar import anniversary_in, festivals_in, festivals_on
from scheduler.quiet import zone_or_utc
from scheduler.sweeps import SchedulerSettings, SweepContext
from scheduler.texts import N_, Catalog

GREETING_KIND = "greeting"
GREETED_ROLES = (Role.DISTRIBUTOR_STAFF.value, Role.TIER1_STAFF.value)
CHUNK = 2000

DEFAULT_TEXTS: dict[Occasion, str] = {
    Occasion.SPRING_FESTIVAL: N_(
        "{name}, happy Spring Festival Eve! Thank you and everyone at {distributor} for a year "
        "of partnership. We wish you health, happiness and a thriving business in the new year."
    ),
    Occasion.LANTERN: N_(
        "{name}, happy Lantern Festival! Warm wishes to you and the whole {distributor} team."
    ),
    Occasion.DRAGON_BOAT: N_(
        "{name}, happy Dragon Boat Festival! Wishing you good health and {distributor} "
        "smooth business."
    ),
    Occasion.QIXI: N_("{name}, happy Qixi Festival! May you and your loved ones have a sweet day."),
    Occasion.MID_AUTUMN: N_(
        "{name}, happy Mid-Autumn Festival! Thank you for your partnership; may the full moon "
        "bring you reunion and {distributor} prosperity."
    ),
    Occasion.NATIONAL_DAY: N_(
        "{name}, happy National Day! Wishing you and {distributor} a restful holiday."
    ),
    Occasion.NEW_YEAR: N_(
        "{name}, happy New Year! Thank you for your partnership; here is to a successful year "
        "for {distributor}."
    ),
    Occasion.ANNIVERSARY: N_(
        "{name}, today {distributor} has been our partner for {years} years. Thank you for "
        "your trust; here is to many more years together!"
    ),
}

OCCASION_NAMES: dict[Occasion, str] = {
    Occasion.SPRING_FESTIVAL: N_("Spring Festival Eve"),
    Occasion.LANTERN: N_("Lantern Festival"),
    Occasion.DRAGON_BOAT: N_("Dragon Boat Festival"),
    Occasion.QIXI: N_("Qixi Festival"),
    Occasion.MID_AUTUMN: N_("Mid-Autumn Festival"),
    Occasion.NATIONAL_DAY: N_("National Day"),
    Occasion.NEW_YEAR: N_("New Year's Day"),
    Occasion.ANNIVERSARY: N_("Partnership anniversary"),
}


def greeting_key(occasion: Occasion, year: int, user_id: int) -> str:
    return f"{GREETING_KIND}:{occasion.value}:{year}:{user_id}"


# -- wording -----------------------------------------------------------------------------------


class GreetingTexts:
    """The words of each greeting: an operator's imported text, else the catalog's."""

    def __init__(self, catalog: Catalog, overrides: Mapping[tuple[str, str], str]) -> None:
        self.catalog = catalog
        self.overrides = overrides

    @classmethod
    async def load(cls, session: AsyncSession, catalog: Catalog) -> GreetingTexts:
        return cls(catalog, await greeting_overrides(session))

    def render(self, occasion: Occasion, locale: str, **params: object) -> str:
        own = self.overrides.get((occasion.value, locale))
        if own is not None:
            try:
                return own.format(**params)
            except (KeyError, IndexError, ValueError):
                pass  # validated on import; a hand-edited row falls back to the catalog
        return self.catalog.gettext(locale, DEFAULT_TEXTS[occasion], **params)


# -- the sweep ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Person:
    user_id: int
    name: str
    locale: str
    timezone: str
    distributor_id: int
    distributor: str
    joined_on: date


def greeting_window(
    day: date, timezone: str, settings: SchedulerSettings
) -> tuple[datetime, datetime]:
    """When a greeting for `day` goes out, and when it stops being worth sending (UTC)."""
    zone = zone_or_utc(timezone)
    send_at = datetime.combine(day, settings.greeting_time, tzinfo=zone)
    quiet = settings.quiet_hours
    if quiet.enabled and quiet.start > settings.greeting_time:
        until = datetime.combine(day, quiet.start, tzinfo=zone)
    else:
        until = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return send_at.astimezone(UTC), until.astimezone(UTC)


async def greeting_sweep(session: AsyncSession, ctx: SweepContext, now: datetime) -> int:
    """Queue today's greetings for everyone whose day it is and who has not had them."""
    settings = ctx.settings
    people = await _greeted_people(session)
    texts: GreetingTexts | None = None
    by_zone: dict[str, list[_Person]] = {}
    for person in people:
        by_zone.setdefault(person.timezone or settings.timezone, []).append(person)
    queued = 0
    for timezone, group in by_zone.items():
        today = now.astimezone(zone_or_utc(timezone)).date()
        send_at, until = greeting_window(today, timezone, settings)
        if now >= until:
            continue
        occasions = festivals_on(today, with_qixi=settings.greet_qixi)
        due: dict[Occasion, list[_Person]] = {occasion: list(group) for occasion in occasions}
        due[Occasion.ANNIVERSARY] = [
            person for person in group if anniversary_in(person.joined_on, today.year) == today
        ]
        for occasion, recipients in due.items():
            if not recipients:
                continue
            greeted = await _already_greeted(session, occasion, today.year)
            fresh = [person for person in recipients if person.user_id not in greeted]
            if not fresh:
                continue
            texts = texts or await GreetingTexts.load(session, ctx.catalog)
            notices = [_greeting(texts, occasion, today, person) for person in fresh]
            for start in range(0, len(notices), CHUNK):
                queued += await enqueue_many(
                    session,
                    notices[start : start + CHUNK],
                    now,
                    not_before=max(send_at, now),
                    expires_at=until,
                )
    return queued


def _greeting(texts: GreetingTexts, occasion: Occasion, day: date, person: _Person) -> Notice:
    return Notice(
        user_id=person.user_id,
        dedupe_key=greeting_key(occasion, day.year, person.user_id),
        kind=GREETING_KIND,
        text=texts.render(
            occasion,
            person.locale,
            name=person.name,
            distributor=person.distributor,
            years=day.year - person.joined_on.year,
        ),
    )


async def _greeted_people(session: AsyncSession) -> list[_Person]:
    rows = await session.execute(
        select(
            User.id,
            User.name,
            User.locale,
            User.timezone,
            Distributor.id,
            Distributor.name,
            Distributor.joined_on,
        )
        .join(Distributor, Distributor.id == User.distributor_id)
        .where(
            User.active.is_(True),
            User.role.in_(GREETED_ROLES),
            Distributor.status == DistributorStatus.ACTIVE.value,
        )
        .order_by(User.id)
    )
    return [_Person(*row) for row in rows]


async def _already_greeted(session: AsyncSession, occasion: Occasion, year: int) -> set[int]:
    # A range over the unique key's index: every key of this occasion and year.
    prefix = f"{GREETING_KIND}:{occasion.value}:{year}:"
    rows = await session.scalars(
        select(OutboxMessage.user_id).where(
            OutboxMessage.dedupe_key >= prefix, OutboxMessage.dedupe_key < prefix[:-1] + ";"
        )
    )
    return set(rows)


# -- preview -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedGreeting:
    occasion: Occasion
    day: date
    send_at: datetime  # in the brand's timezone
    recipients: int
    distributor: str | None = None  # anniversaries: whose


async def preview_year(
    session: AsyncSession, year: int, settings: SchedulerSettings
) -> list[PlannedGreeting]:
    """What the greeting sweep would send in `year`, in date order (brand timezone)."""
    people = await _greeted_people(session)
    zone = zone_or_utc(settings.timezone)
    planned = [
        PlannedGreeting(
            festival.occasion,
            festival.day,
            datetime.combine(festival.day, settings.greeting_time, tzinfo=zone),
            len(people),
        )
        for festival in festivals_in(year, with_qixi=settings.greet_qixi)
    ]
    staff: dict[int, list[_Person]] = {}
    for person in people:
        staff.setdefault(person.distributor_id, []).append(person)
    for members in staff.values():
        day = anniversary_in(members[0].joined_on, year)
        if day is not None:
            planned.append(
                PlannedGreeting(
                    Occasion.ANNIVERSARY,
                    day,
                    datetime.combine(day, settings.greeting_time, tzinfo=zone),
                    len(members),
                    members[0].distributor,
                )
            )
    return sorted(planned, key=lambda plan: (plan.day, plan.occasion.value))
