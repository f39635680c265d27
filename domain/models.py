"""The persistent shape of the network: SQLAlchemy 2 declarative models.

Times are stored in UTC (aware on the way in and out); money, when it arrives, is Decimal.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime kept in UTC; SQLite hands back naive values, so UTC is re-attached."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """Yuan to the fen: NUMERIC(14, 2) on PostgreSQL, whole fen in an INTEGER on SQLite.

    SQLite has no decimal type (SQLAlchemy would go through float); integers keep it exact.
    """

    impl = Numeric(14, 2)
    cache_ok = True
    FEN = Decimal("0.01")

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Integer())
        return dialect.type_descriptor(Numeric(14, 2))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = Decimal(value).quantize(self.FEN)
        return int(exact * 100) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / 100).quantize(self.FEN)
        return Decimal(value).quantize(self.FEN)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's documented spelling
        datetime: UTCDateTime(),
        Decimal: Money(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class Distributor(Base):
    __tablename__ = "distributors"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("distributors.id"), index=True)
    province: Mapped[str] = mapped_column(String(50))
    city: Mapped[str] = mapped_column(String(50))
    grade: Mapped[str] = mapped_column(String(1))
    status: Mapped[str] = mapped_column(String(20), default="active")
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True), index=True)
    joined_on: Mapped[date] = mapped_column(Date)

    parent: Mapped[Distributor | None] = relationship(remote_side=[id], lazy="raise")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    distributor_id: Mapped[int | None] = mapped_column(ForeignKey("distributors.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(10))
    timezone: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class ChatIdentity(Base):
    """One person's account on one chat platform; a user may have several."""

    __tablename__ = "chat_identities"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    chat_ref: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    bound_at: Mapped[datetime]
    unreachable_since: Mapped[datetime | None]


class Invitation(Base):
    """A single-use, expiring code that binds a chat identity to a role at a distributor."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    distributor_id: Mapped[int | None] = mapped_column(ForeignKey("distributors.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    invitee_name: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_identity_id: Mapped[int | None] = mapped_column(ForeignKey("chat_identities.id"))


class CodeAttempts(Base):
    """Wrong invitation codes per chat account, to stop guessing."""

    __tablename__ = "code_attempts"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    misses: Mapped[int] = mapped_column(Integer, default=0)
    last_miss_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class ConversationState(Base):
    """Where one person is in one chat's conversation; survives restarts."""

    __tablename__ = "conversation_states"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_ref: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_ref: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    menu: Mapped[list[Any]] = mapped_column(default=list)
    menu_takes_numbers: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer, default=0)
    secret: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(50), unique=True)
    name_en: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    unit: Mapped[str] = mapped_column(String(16))
    pack_multiple: Mapped[int] = mapped_column(Integer, default=1)
    min_order_qty: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class InboundReceipt(Base):
    """A platform message already handled (Telegram update_id, WeChat MsgId): exactly one effect."""

    __tablename__ = "inbound_receipts"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class OutboxMessage(Base):
    """A message that is not a direct reply, written in the transaction of the change behind it.

    `body` is the rendered message in the recipient's language: {"text": str,
    "choices": [[label, payload], ...]}. Payloads of notice buttons start with "n:" because they
    are not bound to the recipient's conversation state; their handlers check everything.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    body: Mapped[dict[str, Any]]
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # scheduler and delivery (0006): which platform took it, and when it stops being worth sending
    platform: Mapped[str | None] = mapped_column(String(16))
    expires_at: Mapped[datetime | None]


# -- ordering


class Order(Base):
    """A distributor's stock order; prices are snapshotted on its lines when it is placed."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    confirm_key: Mapped[str] = mapped_column(String(64), unique=True)
    distributor_id: Mapped[int] = mapped_column(ForeignKey("distributors.id"), index=True)
    placed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), index=True)
    approver_distributor_id: Mapped[int | None] = mapped_column(ForeignKey("distributors.id"))
    total: Mapped[Decimal]
    submitted_at: Mapped[datetime] = mapped_column(index=True)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime]


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal]
    line_total: Mapped[Decimal]


class OrderEvent(Base):
    """Every status change of an order: what, who and when (append-only)."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(500))


class OrderNumberCounter(Base):
    """The last order number given out on each (local) day."""

    __tablename__ = "order_number_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


# -- scheduler and delivery


class GreetingText(Base):
    """An operator's own wording of a holiday greeting in one language (overrides the catalog)."""

    __tablename__ = "greeting_texts"

    occasion: Mapped[str] = mapped_column(String(32), primary_key=True)
    locale: Mapped[str] = mapped_column(String(10), primary_key=True)
    text: Mapped[str] = mapped_column(String(1000))
    updated_at: Mapped[datetime]


class SweepRun(Base):
    """When each periodic sweep last ran, so a restart runs each missed sweep once."""

    __tablename__ = "sweep_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime]
    last_enqueued: Mapped[int] = mapped_column(Integer, default=0)


# The sender's query: what is queued and due.
Index("ix_outbox_status_not_before", OutboxMessage.status, OutboxMessage.not_before)


# -- WeChat (Official Account and WeCom): shared access tokens, the customer-service window


class PlatformAccessToken(Base):
    """A platform API access token shared by every process, refreshed by one lease holder."""

    __tablename__ = "platform_access_tokens"

    app: Mapped[str] = mapped_column(String(100), primary_key=True)
    token: Mapped[str | None] = mapped_column(String(1024))
    expires_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    refreshed_at: Mapped[datetime | None]
    refreshes: Mapped[int] = mapped_column(Integer, default=0)


class ChatContact(Base):
    """When a chat account last wrote to us (WeChat's 48-hour reply window) and if it left."""

    __tablename__ = "chat_contacts"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_inbound_at: Mapped[datetime]
    unsubscribed_at: Mapped[datetime | None]


# -- Telegram: buttons whose callback data is a short token (Telegram allows 64 bytes)


class ButtonMenu(Base):
    """The buttons of one sent message: its callback data is this token and a button index.

    Payloads never travel to the platform; the token is bound to the chat and person it was
    sent to, so a button forwarded or pressed elsewhere resolves to nothing.
    """

    __tablename__ = "button_menus"

    token: Mapped[str] = mapped_column(String(16), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_ref: Mapped[str] = mapped_column(String(128))
    user_ref: Mapped[str] = mapped_column(String(128))
    payloads: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(index=True)


# -- pricing


class PriceList(Base):
    """The prices of a tier, or of one grade in a tier, from a date (rules: domain/pricing.py)."""

    __tablename__ = "price_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    tier: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(1))  # None: every grade of the tier
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)  # the last day it applies; None: open


class PriceListItem(Base):
    __tablename__ = "price_list_items"
    __table_args__ = (UniqueConstraint("price_list_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    price: Mapped[Decimal]


class DistributorPrice(Base):
    """A special price for one distributor on one product; beats every price list."""

    __tablename__ = "distributor_prices"

    id: Mapped[int] = mapped_column(primary_key=True)
    distributor_id: Mapped[int] = mapped_column(ForeignKey("distributors.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    price: Mapped[Decimal]
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)


class PriceFloor(Base):
    """The minimum resale price of a product in a province, or in one city of it."""

    __tablename__ = "price_floors"
    __table_args__ = (UniqueConstraint("product_id", "province", "city"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    province: Mapped[str] = mapped_column(String(50))
    city: Mapped[str | None] = mapped_column(String(50))  # None: the whole province
    min_price: Mapped[Decimal]


# -- broadcasts


class Broadcast(Base):
    """A manager's announcement to a segment of the network (rules: domain/broadcasts.py).

    `bodies` holds the notice as each language's recipients see it, rendered when composed:
    {"zh_CN": {"text", "choices"}, "en": {...}}, and `nudge_bodies` the same for a re-nudge.
    """

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    compose_key: Mapped[str] = mapped_column(String(200), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    texts: Mapped[dict[str, Any]]
    bodies: Mapped[dict[str, Any]]
    nudge_bodies: Mapped[dict[str, Any]]
    attachment_kind: Mapped[str | None] = mapped_column(String(16))
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment_type: Mapped[str | None] = mapped_column(String(100))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    segment: Mapped[dict[str, Any]]
    requires_ack: Mapped[bool] = mapped_column(Boolean, default=False)
    nudge_interval_hours: Mapped[int] = mapped_column(Integer, default=24)
    max_nudges: Mapped[int] = mapped_column(Integer, default=3)
    nudges_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_nudged_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), index=True)
    targeted: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    send_at: Mapped[datetime | None] = mapped_column(index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class BroadcastRecipient(Base):
    """One person a broadcast was planned for; `state` mirrors their outbox row."""

    __tablename__ = "broadcast_recipients"

    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    platform: Mapped[str | None] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(10))
    province: Mapped[str | None] = mapped_column(String(50))
    city: Mapped[str | None] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(16))
    acknowledged_at: Mapped[datetime | None]
    nudges: Mapped[int] = mapped_column(Integer, default=0)
