"""Closed vocabularies of the distribution network, stored by value."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Role(StrEnum):
    DISTRIBUTOR_STAFF = "distributor_staff"
    TIER1_STAFF = "tier1_staff"
    FIELD_REP = "field_rep"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def is_brand(self) -> bool:
        """Brand-side people (reps, managers, admins) belong to no distributor."""
        return self in (Role.FIELD_REP, Role.MANAGER, Role.ADMIN)

    @property
    def needs_distributor(self) -> bool:
        return self in (Role.DISTRIBUTOR_STAFF, Role.TIER1_STAFF)


class Tier(IntEnum):
    ONE = 1
    TWO = 2


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class DistributorStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class Unit(StrEnum):
    """How a product is counted when ordered."""

    CASE = "case"  # 箱
    PIECE = "piece"  # 件
    BOTTLE = "bottle"  # 瓶
    BAG = "bag"  # 袋
    BOX = "box"  # 盒


class Platform(StrEnum):
    CONSOLE = "console"
    TELEGRAM = "telegram"
    WECHAT_MP = "wechat_mp"
    WECOM = "wecom"

    @property
    def has_buttons(self) -> bool:
        """Telegram renders inline keyboards; the others show numbered options."""
        return self is Platform.TELEGRAM


SUPPORTED_LOCALES: tuple[str, ...] = ("zh_CN", "en")
