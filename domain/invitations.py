"""Invitation codes: how a chat account joins the network, once, before the code expires."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import cast

from sqlalchemy import (
    Executable,
    Table,
    bindparam,
    case,
    delete,
    exists,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.db import dialect_of
from domain.enums import Platform, Role, Tier
from domain.models import ChatIdentity, CodeAttempts, Distributor, Invitation, User
from domain.network import Person, person_for_user

# No 0/O, 1/I/L: codes are read aloud over the phone and typed on small keyboards.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_MISSES = 5
LOCKOUT = timedelta(minutes=15)
DEFAULT_VALIDITY = timedelta(days=14)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalise_code(text: str) -> str | None:
    """`abcd-efgh`, `ＡＢＣＤ ＥＦＧＨ` and `ABCDEFGH` are one code; anything else is not a code."""
    folded = unicodedata.normalize("NFKC", text).upper()
    compact = "".join(ch for ch in folded if ch not in " -_\t\n")
    if len(compact) != CODE_LENGTH or not all(ch in CODE_ALPHABET for ch in compact):
        return None
    return compact


class InvitationError(StrEnum):
    UNKNOWN_DISTRIBUTOR = "unknown_distributor"
    UNKNOWN_USER = "unknown_user"
    DISTRIBUTOR_REQUIRED = "distributor_required"
    DISTRIBUTOR_NOT_ALLOWED = "distributor_not_allowed"
    WRONG_TIER = "wrong_tier"


class InvitationRefused(Exception):
    def __init__(self, reason: InvitationError) -> None:
        super().__init__(reason.value)
        self.reason = reason


async def create_invitation(
    session: AsyncSession,
    clock: Clock,
    role: Role,
    *,
    distributor_code: str | None = None,
    user_code: str | None = None,
    invitee_name: str | None = None,
    created_by_id: int | None = None,
    valid_for: timedelta = DEFAULT_VALIDITY,
) -> Invitation:
    """A fresh code for a new person, or for an existing user (imported) to bind a chat."""
    distributor: Distributor | None = None
    user: User | None = None
    if user_code:
        user = await session.scalar(select(User).where(User.code == user_code))
        if user is None:
            raise InvitationRefused(InvitationError.UNKNOWN_USER)
        role = Role(user.role)
        if user.distributor_id:
            distributor = await session.get(Distributor, user.distributor_id)
    elif distributor_code:
        distributor = await session.scalar(
            select(Distributor).where(Distributor.code == distributor_code)
        )
        if distributor is None:
            raise InvitationRefused(InvitationError.UNKNOWN_DISTRIBUTOR)
    if role.needs_distributor and distributor is None:
        raise InvitationRefused(InvitationError.DISTRIBUTOR_REQUIRED)
    if role.is_brand and distributor is not None and user is None:
        raise InvitationRefused(InvitationError.DISTRIBUTOR_NOT_ALLOWED)
    if distributor is not None and role.needs_distributor:
        expected = Tier.ONE if role is Role.TIER1_STAFF else Tier.TWO
        if distributor.tier != expected:
            raise InvitationRefused(InvitationError.WRONG_TIER)
    now = clock.now()
    while True:
        code = new_code()
        if await session.scalar(select(Invitation.id).where(Invitation.code == code)) is None:
            break
    invitation = Invitation(
        code=code,
        role=role.value,
        distributor_id=distributor.id if distributor else None,
        user_id=user.id if user else None,
        invitee_name=invitee_name or (user.name if user else None),
        created_by_id=created_by_id,
        created_at=now,
        expires_at=now + valid_for,
    )
    session.add(invitation)
    await session.flush()
    return invitation


class Redemption(StrEnum):
    BOUND = "bound"
    MALFORMED = "malformed"
    NOT_FOUND = "not_found"
    USED = "used"
    EXPIRED = "expired"
    LOCKED = "locked"
    ALREADY_BOUND = "already_bound"


@dataclass(frozen=True, slots=True)
class RedeemResult:
    outcome: Redemption
    person: Person | None = None
    misses_left: int = MAX_MISSES
    locked_until: datetime | None = None
    expired_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChatAccount:
    """The chat account that is trying to join."""

    platform: Platform
    external_id: str
    chat_ref: str
    display_name: str


@dataclass(frozen=True, slots=True)
class _Attempt:
    """What a code attempt needs to know, read in one statement."""

    bound: bool
    locked_until: datetime | None
    invitation_id: int | None
    used_at: datetime | None
    expires_at: datetime | None


@cache
def _attempt_query() -> Executable:
    anchor = select(literal(1).label("one")).subquery("anchor")  # one row to join the rest to
    bound = exists().where(
        ChatIdentity.platform == bindparam("platform"),
        ChatIdentity.external_id == bindparam("external_id"),
    )
    return (
        select(
            bound.label("bound"),
            CodeAttempts.locked_until,
            Invitation.id,
            Invitation.used_at,
            Invitation.expires_at,
        )
        .select_from(anchor)
        .outerjoin(
            CodeAttempts,
            (CodeAttempts.platform == bindparam("platform"))
            & (CodeAttempts.external_id == bindparam("external_id")),
        )
        .outerjoin(Invitation, Invitation.code == bindparam("code"))
    )


async def _read_attempt(session: AsyncSession, account: ChatAccount, code: str | None) -> _Attempt:
    where = {"platform": account.platform.value, "external_id": account.external_id, "code": code}
    row = (await session.execute(_attempt_query(), where)).one()
    return _Attempt(bool(row.bound), row.locked_until, row.id, row.used_at, row.expires_at)


def _still_locked(attempt: _Attempt, now: datetime) -> datetime | None:
    if attempt.locked_until and attempt.locked_until > now:
        return attempt.locked_until
    return None


async def _record_miss(session: AsyncSession, clock: Clock, account: ChatAccount) -> RedeemResult:
    """Count the wrong code in one statement (two processes counting at once both count); a
    miss longer ago than the lockout does not count against a new try."""
    now = clock.now()
    values = {
        "b_platform": account.platform.value,
        "b_external_id": account.external_id,
        "b_now": now,
        "b_stale_before": now - LOCKOUT,
    }
    counted = await session.execute(_count_miss(dialect_of(session) == "postgresql"), values)
    misses = counted.scalar_one()
    if misses < MAX_MISSES:
        return RedeemResult(Redemption.NOT_FOUND, misses_left=MAX_MISSES - misses)
    locked_until = now + LOCKOUT
    await session.execute(
        update(CodeAttempts)
        .where(
            CodeAttempts.platform == account.platform.value,
            CodeAttempts.external_id == account.external_id,
        )
        .values(misses=0, locked_until=locked_until)
    )
    return RedeemResult(Redemption.LOCKED, locked_until=locked_until)


@cache
def _count_miss(postgres: bool) -> Executable:
    attempts = cast(Table, CodeAttempts.__table__)  # Core: not an ORM bulk insert
    moment = attempts.c.last_miss_at.type
    insert = pg_insert if postgres else sqlite_insert
    return (
        insert(attempts)
        .values(
            platform=bindparam("b_platform"),
            external_id=bindparam("b_external_id"),
            misses=1,
            last_miss_at=bindparam("b_now", type_=moment),
            locked_until=None,
        )
        .on_conflict_do_update(
            index_elements=["platform", "external_id"],
            set_={
                "misses": case(
                    (attempts.c.last_miss_at < bindparam("b_stale_before", type_=moment), 1),
                    else_=attempts.c.misses + 1,
                ),
                "last_miss_at": bindparam("b_now", type_=moment),
            },
        )
        .returning(attempts.c.misses)
    )


def _new_user_code() -> str:
    return "U" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(7))


class _AlreadyClaimed(Exception):
    pass


async def _claim(
    session: AsyncSession,
    invitation: Invitation,
    account: ChatAccount,
    now: datetime,
    locale: str,
    timezone: str,
) -> User:
    # Single use, enforced by the database: only one redeemer's UPDATE matches.
    claimed = await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise _AlreadyClaimed
    user = await session.get(User, invitation.user_id) if invitation.user_id else None
    if user is None:
        user = User(
            code=_new_user_code(),
            name=(invitation.invitee_name or account.display_name or "").strip()[:100],
            role=invitation.role,
            distributor_id=invitation.distributor_id,
            locale=locale,
            timezone=timezone,
            active=True,
            created_at=now,
        )
        session.add(user)
    else:
        user.locale = locale
    await session.flush()
    identity = ChatIdentity(
        platform=account.platform.value,
        external_id=account.external_id,
        chat_ref=account.chat_ref,
        user_id=user.id,
        display_name=account.display_name[:200],
        bound_at=now,
    )
    session.add(identity)
    await session.flush()
    await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id)
        .values(used_by_identity_id=identity.id)
        .execution_options(synchronize_session=False)
    )
    return user


async def redeem_invitation(
    session: AsyncSession,
    clock: Clock,
    account: ChatAccount,
    text: str,
    *,
    locale: str,
    timezone: str,
) -> RedeemResult:
    """Bind the chat account to the invitation's user, creating the user when needed."""
    code = normalise_code(text)
    attempt = await _read_attempt(session, account, code)
    if attempt.bound:
        return RedeemResult(Redemption.ALREADY_BOUND)
    now = clock.now()
    locked = _still_locked(attempt, now)
    if locked:
        return RedeemResult(Redemption.LOCKED, locked_until=locked)
    if code is None:
        return RedeemResult(Redemption.MALFORMED)
    if attempt.invitation_id is None:
        return await _record_miss(session, clock, account)
    if attempt.used_at is not None:
        return RedeemResult(Redemption.USED)
    assert attempt.expires_at is not None
    if attempt.expires_at <= now:
        return RedeemResult(Redemption.EXPIRED, expired_at=attempt.expires_at)
    invitation = await session.get_one(Invitation, attempt.invitation_id)
    try:
        async with session.begin_nested():
            user = await _claim(session, invitation, account, now, locale, timezone)
    except _AlreadyClaimed:
        return RedeemResult(Redemption.USED)
    except IntegrityError:  # the same chat account bound concurrently from another chat
        return RedeemResult(Redemption.ALREADY_BOUND)
    await session.execute(
        delete(CodeAttempts).where(
            CodeAttempts.platform == account.platform.value,
            CodeAttempts.external_id == account.external_id,
        )
    )
    return RedeemResult(Redemption.BOUND, person=await person_for_user(session, user))
