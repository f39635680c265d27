"""How network facts read in a chat, in the reader's language."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.enums import DistributorStatus, Role, Tier
from domain.network import DistributorCard
from handlers.i18n import N_, Translate

ROLE_NAMES = {
    Role.DISTRIBUTOR_STAFF: N_("distributor staff"),
    Role.TIER1_STAFF: N_("tier-1 distributor staff"),
    Role.FIELD_REP: N_("field rep"),
    Role.MANAGER: N_("channel manager"),
    Role.ADMIN: N_("administrator"),
}

TIER_NAMES = {Tier.ONE: N_("tier 1"), Tier.TWO: N_("tier 2")}

STATUS_NAMES = {
    DistributorStatus.ACTIVE: N_("active"),
    DistributorStatus.SUSPENDED: N_("suspended"),
    DistributorStatus.TERMINATED: N_("terminated"),
}

# Languages are offered by their own names, so a reader finds theirs whatever the current one.
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def role_name(t: Translate, role: Role) -> str:
    return t(ROLE_NAMES[role])


def status_name(t: Translate, status: str) -> str:
    try:
        return t(STATUS_NAMES[DistributorStatus(status)])
    except ValueError:
        return status


def local_time(when: datetime, timezone: str) -> str:
    """A moment as the reader's wall clock shows it."""
    return when.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def short_date(day: date) -> str:
    return day.isoformat()


def distributor_line(t: Translate, card: DistributorCard) -> str:
    return t(
        "{code} {name} · {city} · grade {grade}",
        code=card.code,
        name=card.name,
        city=card.city,
        grade=card.grade,
    )


def distributor_card_text(t: Translate, card: DistributorCard) -> str:
    lines = [
        t("{name} ({code})", name=card.name, code=card.code),
        t(
            "Tier: {tier} · Grade: {grade} · Status: {status}",
            tier=t(TIER_NAMES[card.tier]),
            grade=card.grade,
            status=status_name(t, card.status),
        ),
        t("Region: {province} {city}", province=card.province, city=card.city),
        t("Parent: {parent}", parent=card.parent_name or t("the brand (direct)")),
        t("Field rep: {rep}", rep=card.rep_name or t("not assigned")),
        t("Partner since: {date}", date=short_date(card.joined_on)),
    ]
    return "\n".join(lines)
