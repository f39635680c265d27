"""Placing an order: browse or search the catalogue, build a cart, confirm it exactly once.

The cart lives in the conversation state, so a redeploy in the middle of an order loses
nothing. Quick text orders ("A100 20箱, B200 5") and "repeat my last order" fill the same cart.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.catalog import (
    ProductView,
    categories,
    product_by_id,
    product_by_sku,
    products_in_category,
    search_products,
)
from domain.enums import Role
from domain.money import format_money
from domain.ordering import (
    MAX_LINES,
    PlacementRefused,
    PricedLine,
    cart_total,
    last_order_lines,
    order_by_confirm_key,
    place_order,
    price_cart,
)
from domain.outbox import NOTICE_PREFIX
from domain.pricing import price_for, prices_for
from handlers import orders
from handlers.context import Context, whole_number
from handlers.i18n import N_
from handlers.orders import line_text, notify_approvers, status_name
from handlers.paging import page_of
from handlers.quantities import (
    MAX_QUANTITY,
    Quantity,
    QuantityRejection,
    parse_quantity,
    parse_quick_order,
    rejection_text,
)
from handlers.router import Router
from handlers.types import Choice
from handlers.units import unit_name

ORDERERS = (Role.DISTRIBUTOR_STAFF, Role.TIER1_STAFF)
REPEAT_WORDS = frozenset(
    {
        "repeat",
        "repeat last order",
        "repeat my last order",
        "again",
        "再来一单",
        "重复上次订单",
        "重复订单",
        "再订一次",
        "照上次",
    }
)


class OrderingState(StrEnum):
    BROWSING = "ordering.browsing"
    QUANTITY = "ordering.quantity"
    CART = "ordering.cart"


router = Router("ordering", OrderingState)
router.menu_entry(N_("Order stock"), "start", roles=ORDERERS, order=100)


@dataclass(frozen=True, slots=True)
class Cart:
    id: str
    lines: tuple[tuple[int, int], ...]  # (product id, quantity)

    @classmethod
    def new(cls, lines: Sequence[tuple[int, int]] = ()) -> Cart:
        return cls(secrets.token_hex(4), tuple(lines))

    def with_quantity(self, product_id: int, quantity: int, *, add: bool) -> Cart:
        lines = dict(self.lines)
        lines[product_id] = lines.get(product_id, 0) + quantity if add else quantity
        return Cart(self.id, tuple(lines.items()))

    def without(self, product_id: int) -> Cart:
        return Cart(self.id, tuple(line for line in self.lines if line[0] != product_id))

    def quantity_of(self, product_id: int) -> int:
        return dict(self.lines).get(product_id, 0)


def _cart(ctx: Context) -> Cart:
    raw = ctx.data.get("cart")
    if not isinstance(raw, dict):
        return Cart.new()
    lines = tuple((int(pid), int(qty)) for pid, qty in raw.get("lines", []))
    return Cart(str(raw.get("id") or secrets.token_hex(4)), lines)


def _keep(ctx: Context, state: OrderingState, cart: Cart, **extra: object) -> None:
    ctx.goto(state, cart={"id": cart.id, "lines": [list(line) for line in cart.lines]}, **extra)


def _today(ctx: Context) -> date:
    return ctx.clock.now().astimezone(ZoneInfo(ctx.settings.timezone)).date()


def _distributor_id(ctx: Context) -> int:
    assert ctx.person is not None
    assert ctx.person.distributor is not None
    return ctx.person.distributor.id


def _in_ordering(ctx: Context) -> bool:
    return ctx.state in {state.value for state in OrderingState}


# -- the catalogue -----------------------------------------------------------------------------


@router.command("order", N_("order stock"), roles=ORDERERS)
async def order_command(ctx: Context) -> None:
    await start(ctx)


@router.button("start", roles=ORDERERS)
async def start(ctx: Context) -> None:
    cart = _cart(ctx) if _in_ordering(ctx) else Cart.new()
    await _show_catalogue(ctx, cart)


async def _show_catalogue(ctx: Context, cart: Cart, intro: str | None = None) -> None:
    t = ctx.t
    _keep(ctx, OrderingState.BROWSING, cart)
    found = await categories(ctx.session)
    choices = [
        ctx.choice(
            t(
                "{category} ({count})",
                category=category.name(ctx.locale),
                count=category.product_count,
            ),
            router.action("category"),
            category.id,
        )
        for category in found
    ]
    if cart.lines:
        choices.append(
            ctx.choice(t("View cart ({count})", count=len(cart.lines)), router.action("cart"))
        )
    choices.append(ctx.choice(t("Repeat my last order"), router.action("repeat")))
    choices.append(ctx.choice(t("Cancel order"), router.action("discard")))
    text = t(
        "Pick a category, or type a product name, SKU or pinyin initials (like kqs). "
        "You can also type a whole order, like: A100 20, B200 5"
    )
    ctx.reply(f"{intro}\n\n{text}" if intro else text, choices, columns=2)


@router.button("category", roles=ORDERERS)
async def show_category(ctx: Context) -> None:
    assert ctx.button is not None
    category_id, _, page_text = ctx.button.arg.partition(".")
    if whole_number(category_id) is None:
        await _show_catalogue(ctx, _cart(ctx))
        return
    products = await products_in_category(ctx.session, int(category_id))
    page = whole_number(page_text, 5) or 0
    shown, page, pages = page_of(products, page)
    t = ctx.t
    choices = await _product_choices(ctx, shown)
    if page > 0:
        choices.append(
            ctx.choice(t("« Previous"), router.action("category"), f"{category_id}.{page - 1}")
        )
    if page < pages - 1:
        choices.append(
            ctx.choice(t("Next »"), router.action("category"), f"{category_id}.{page + 1}")
        )
    choices.append(ctx.choice(t("Back to categories"), router.action("start")))
    _keep(ctx, OrderingState.BROWSING, _cart(ctx))
    heading = t("Pick a product:")
    if pages > 1:
        heading += " " + t("Page {page} of {pages}", page=page + 1, pages=pages)
    ctx.reply(heading, choices)


async def _product_choices(ctx: Context, products: Sequence[ProductView]) -> list[Choice]:
    t = ctx.t
    prices = await prices_for(
        ctx.session, _distributor_id(ctx), [p.id for p in products], _today(ctx)
    )
    choices = []
    for product in products:
        price = prices.get(product.id)
        label = (
            t(
                "{name} · {price}/{unit}",
                name=product.name(ctx.locale),
                price=format_money(price),
                unit=unit_name(t, product.unit),
            )
            if price is not None
            else t("{name} · no price for you", name=product.name(ctx.locale))
        )
        choices.append(ctx.choice(label, router.action("product"), product.id))
    return choices


@router.button("product", roles=ORDERERS)
async def choose_product(ctx: Context) -> None:
    assert ctx.button is not None
    product = await _product(ctx, ctx.button.arg)
    if product is None:
        return
    await _ask_quantity(ctx, product, replace=False)


async def _product(ctx: Context, arg: str) -> ProductView | None:
    product = await product_by_id(ctx.session, number) if (number := whole_number(arg)) else None
    if product is None or not product.active:
        await _show_catalogue(ctx, _cart(ctx), ctx.t("That product is not available."))
        return None
    return product


async def _ask_quantity(ctx: Context, product: ProductView, *, replace: bool) -> None:
    t = ctx.t
    price = await price_for(ctx.session, _distributor_id(ctx), product.id, _today(ctx))
    if price is None:
        await _show_catalogue(
            ctx,
            _cart(ctx),
            t(
                "{name} has no price for your distributor yet, so it cannot be ordered. Your field "
                "rep can help.",
                name=product.name(ctx.locale),
            ),
        )
        return
    cart = _cart(ctx)
    _keep(ctx, OrderingState.QUANTITY, cart, product_id=product.id, replace=replace)
    unit = unit_name(t, product.unit)
    lines = [
        t("{name} ({sku})", name=product.name(ctx.locale), sku=product.sku),
        t("Your price: {price} per {unit}", price=format_money(price), unit=unit),
        (
            t(
                "Minimum order {minimum} {unit}, in multiples of {pack}.",
                minimum=product.min_order_qty,
                unit=unit_name(t, product.unit, 2),
                pack=product.pack_multiple,
            )
            if product.pack_multiple > 1
            else t(
                "Minimum order {minimum} {unit}.",
                minimum=product.min_order_qty,
                unit=unit_name(t, product.unit, product.min_order_qty),
            )
        ),
    ]
    if cart.quantity_of(product.id) and not replace:
        lines.append(
            t(
                "Already in your cart: {quantity}. What you send now is added.",
                quantity=cart.quantity_of(product.id),
            )
        )
    lines.append(t("How many {unit}?", unit=unit_name(t, product.unit, 2)))
    suggestions = _suggested_quantities(product)
    choices = [ctx.choice(str(q), router.action("quantity"), q) for q in suggestions]
    choices.append(ctx.choice(t("Back to categories"), router.action("start")))
    ctx.reply("\n".join(lines), choices, columns=len(suggestions), takes_numbers=False)


def _suggested_quantities(product: ProductView) -> list[int]:
    pack = max(product.pack_multiple, 1)
    first = max(product.min_order_qty, pack)
    first = -(-first // pack) * pack
    return sorted({first, first * 2, first * 5})


# -- quantities and the cart ---------------------------------------------------------------------


@router.on_state(OrderingState.QUANTITY, roles=ORDERERS)
async def quantity_typed(ctx: Context) -> None:
    await _take_quantity(ctx, ctx.text)


@router.button("quantity", roles=ORDERERS)
async def quantity_chosen(ctx: Context) -> None:
    assert ctx.button is not None
    if ctx.state != OrderingState.QUANTITY.value:
        await _show_catalogue(ctx, _cart(ctx))
        return
    await _take_quantity(ctx, ctx.button.arg)


async def _take_quantity(ctx: Context, text: str) -> None:
    product = await product_by_id(ctx.session, int(ctx.data.get("product_id", 0)))
    if product is None or not product.active:
        await _show_catalogue(ctx, _cart(ctx), ctx.t("That product is not available."))
        return
    parsed = parse_quantity(
        text,
        unit=product.unit,
        pack_multiple=product.pack_multiple,
        min_order_qty=product.min_order_qty,
    )
    if isinstance(parsed, QuantityRejection):
        ctx.reply(
            rejection_text(ctx.t, parsed)
            + "\n"
            + ctx.t("How many {unit}?", unit=unit_name(ctx.t, product.unit, 2)),
            takes_numbers=False,
        )
        return
    cart = _cart(ctx)
    replace = bool(ctx.data.get("replace"))
    if not replace and cart.quantity_of(product.id) + parsed.value > MAX_QUANTITY:
        ctx.reply(
            ctx.t(
                "That would make more than {limit} {unit} of one product. Please check the number.",
                limit=format(MAX_QUANTITY, ","),
                unit=unit_name(ctx.t, product.unit, 2),
            ),
            takes_numbers=False,
        )
        return
    if product.id not in dict(cart.lines) and len(cart.lines) >= MAX_LINES:
        await _show_cart(
            ctx,
            cart,
            ctx.t(
                "A cart holds at most {limit} products; please confirm this one first.",
                limit=MAX_LINES,
            ),
        )
        return
    cart = cart.with_quantity(product.id, parsed.value, add=not replace)
    await _show_cart(
        ctx,
        cart,
        ctx.t(
            "Added {quantity} {unit} of {name}.",
            quantity=cart.quantity_of(product.id),
            unit=unit_name(ctx.t, product.unit, parsed.value),
            name=product.name(ctx.locale),
        ),
    )


@router.button("cart", roles=ORDERERS)
async def cart_button(ctx: Context) -> None:
    await _show_cart(ctx, _cart(ctx))


def quote_of(lines: Sequence[PricedLine]) -> str:
    """A fingerprint of what the person saw: products, quantities and prices."""
    seen = "|".join(f"{line.product.id}:{line.quantity}:{line.unit_price}" for line in lines)
    return hashlib.sha256(seen.encode()).hexdigest()[:8]


async def _priced(ctx: Context, cart: Cart) -> list[PricedLine]:
    return await price_cart(ctx.session, _distributor_id(ctx), cart.lines, _today(ctx))


async def _show_cart(ctx: Context, cart: Cart, intro: str | None = None) -> None:
    t = ctx.t
    priced = await _priced(ctx, cart)
    # Products that were deactivated since they were added drop out of the cart.
    cart = Cart(cart.id, tuple((line.product.id, line.quantity) for line in priced))
    if not cart.lines:
        await _show_catalogue(ctx, cart, intro or t("Your cart is empty."))
        return
    _keep(ctx, OrderingState.CART, cart)
    lines = [intro, ""] if intro else []
    lines.append(t("Your cart:"))
    for line in priced:
        if line.unit_price is None:
            lines.append(
                t(
                    "· {name} ({sku}) × {quantity} — no longer has a price for you; "
                    "please remove it",
                    name=line.product.name(ctx.locale),
                    sku=line.product.sku,
                    quantity=line.quantity,
                )
            )
        else:
            lines.append(
                line_text(
                    t,
                    "·",
                    line.product.name(ctx.locale),
                    line.product.sku,
                    line.quantity,
                    line.product.unit,
                    line.unit_price,
                    line.line_total,
                )
            )
    lines.append(t("Total: {total}", total=format_money(cart_total(priced))))
    choices = []
    if all(line.unit_price is not None for line in priced):
        payload = f"{cart.id}.{quote_of(priced)}"
        choices.append(
            Choice(t("Confirm order"), f"{NOTICE_PREFIX}{router.action('confirm')}:{payload}")
        )
    choices += [
        ctx.choice(t("Add more"), router.action("start")),
        ctx.choice(t("Change a quantity"), router.action("edit")),
        ctx.choice(t("Remove a product"), router.action("remove")),
        ctx.choice(t("Cancel order"), router.action("discard")),
    ]
    ctx.reply("\n".join(lines), choices, columns=2)


@router.button("edit", roles=ORDERERS)
async def edit_line(ctx: Context) -> None:
    await _pick_line(ctx, "edit", ctx.t("Which quantity do you want to change?"))


@router.button("remove", roles=ORDERERS)
async def remove_line(ctx: Context) -> None:
    await _pick_line(ctx, "remove", ctx.t("Which product do you want to remove?"))


async def _pick_line(ctx: Context, action: str, question: str) -> None:
    assert ctx.button is not None
    cart = _cart(ctx)
    arg = ctx.button.arg
    product_id = whole_number(arg)
    if product_id is not None and product_id in dict(cart.lines):
        if action == "remove":
            await _show_cart(ctx, cart.without(product_id), ctx.t("Removed."))
            return
        product = await _product(ctx, arg)
        if product is not None:
            await _ask_quantity(ctx, product, replace=True)
        return
    if not cart.lines:
        await _show_catalogue(ctx, cart, ctx.t("Your cart is empty."))
        return
    priced = await _priced(ctx, cart)
    choices = [
        ctx.choice(t_line(ctx, line), router.action(action), line.product.id) for line in priced
    ]
    choices.append(ctx.choice(ctx.t("Back to cart"), router.action("cart")))
    _keep(ctx, OrderingState.CART, cart)
    ctx.reply(question, choices)


def t_line(ctx: Context, line: PricedLine) -> str:
    return ctx.t("{name} × {quantity}", name=line.product.name(ctx.locale), quantity=line.quantity)


@router.button("discard", roles=ORDERERS)
async def discard(ctx: Context) -> None:
    ctx.finish()
    ctx.main_menu(ctx.t("Order cancelled; nothing was sent. What next?"))


# -- confirming --------------------------------------------------------------------------------


@router.button("confirm", roles=ORDERERS, notice=True)
async def confirm(ctx: Context) -> None:
    """Unbound to the menu's version on purpose: a repeated tap must find the order it made."""
    person = ctx.person
    assert person is not None
    assert ctx.button is not None
    t = ctx.t
    cart_id, _, quote = ctx.button.arg.partition(".")
    confirm_key = f"{person.user_id}:{cart_id}"
    cart = _cart(ctx)
    if not _in_ordering(ctx) or cart.id != cart_id:
        await _already_placed_or_expired(ctx, confirm_key)
        return
    priced = await _priced(ctx, cart)
    if quote_of(priced) != quote or len(priced) != len(cart.lines):
        await _show_cart(
            ctx,
            cart,
            t(
                "Prices or products changed since you saw this cart. "
                "Please check it and confirm again."
            ),
        )
        return
    try:
        placement = await place_order(
            ctx.session,
            ctx.clock,
            person,
            priced,
            confirm_key=confirm_key,
            timezone=ctx.settings.timezone,
        )
    except PlacementRefused:
        await _show_cart(ctx, cart, t("This cart cannot be ordered as it is; please check it."))
        return
    order = placement.order
    if placement.created:
        await notify_approvers(ctx, order)
    ctx.finish()
    approver = (
        person.distributor.parent_name
        if person.distributor and order.approver_distributor_id
        else None
    ) or t("the brand")
    ctx.reply(
        t(
            "Order {number} is placed: {total}. It now waits for approval by {approver}; I will "
            "tell you when that happens.",
            number=order.number,
            total=format_money(order.total),
            approver=approver,
        ),
        [
            ctx.choice(t("View order"), orders.router.action("view"), order.id),
            ctx.choice(t("Back to menu"), "core.menu"),
        ],
    )


async def _already_placed_or_expired(ctx: Context, confirm_key: str) -> None:
    order = await order_by_confirm_key(ctx.session, confirm_key)
    t = ctx.t
    if order is not None:
        ctx.reply(
            t(
                "This cart was already ordered as {number} ({status}).",
                number=order.number,
                status=status_name(t, order.status),
            ),
            [ctx.choice(t("View order"), orders.router.action("view"), order.id)],
        )
        return
    ctx.reply(t("This menu has expired. Send /menu for a fresh one."))


# -- quick orders and repeats -------------------------------------------------------------------


def _is_repeat(text: str) -> bool:
    return text.strip().casefold().rstrip("!！。.") in REPEAT_WORDS


@router.on_text(_is_repeat, roles=ORDERERS)
async def repeat_typed(ctx: Context) -> None:
    await repeat(ctx)


@router.button("repeat", roles=ORDERERS)
async def repeat(ctx: Context) -> None:
    t = ctx.t
    lines = await last_order_lines(ctx.session, _distributor_id(ctx))
    if not lines:
        await _show_catalogue(
            ctx,
            _cart(ctx) if _in_ordering(ctx) else Cart.new(),
            t("There is no earlier order to repeat."),
        )
        return
    cart = Cart.new(lines)
    await _show_cart(ctx, cart, t("Your last order, at today's prices:"))


def _is_quick_order(text: str) -> bool:
    return parse_quick_order(text) is not None


@router.on_text(_is_quick_order, roles=ORDERERS)
async def quick_order_typed(ctx: Context) -> None:
    await _quick_order(ctx, Cart.new())


@router.on_state(OrderingState.BROWSING, roles=ORDERERS)
async def browsing_text(ctx: Context) -> None:
    await _search_or_quick_order(ctx)


@router.on_state(OrderingState.CART, roles=ORDERERS)
async def cart_text(ctx: Context) -> None:
    await _search_or_quick_order(ctx)


async def _search_or_quick_order(ctx: Context) -> None:
    if _is_repeat(ctx.text):
        await repeat(ctx)
        return
    if parse_quick_order(ctx.text) is not None:
        await _quick_order(ctx, _cart(ctx))
        return
    t = ctx.t
    if not ctx.text:
        await _show_catalogue(ctx, _cart(ctx))
        return
    found = await search_products(ctx.session, ctx.text)
    if not found:
        await _show_catalogue(
            ctx,
            _cart(ctx),
            t(
                "Nothing matches “{query}”. Try a product name, SKU or pinyin initials.",
                query=ctx.text[:40],
            ),
        )
        return
    choices = await _product_choices(ctx, found)
    choices.append(ctx.choice(t("Back to categories"), router.action("start")))
    _keep(ctx, OrderingState.BROWSING, _cart(ctx))
    ctx.reply(t("Found {count}:", count=len(found)), choices)


async def _quick_order(ctx: Context, cart: Cart) -> None:
    t = ctx.t
    pairs = parse_quick_order(ctx.text) or []
    problems: list[str] = []
    wanted: list[tuple[int, int]] = []
    for sku, quantity_text in pairs:
        product = await product_by_sku(ctx.session, sku)
        if product is None or not product.active:
            problems.append(t("{sku}: no such product.", sku=sku))
            continue
        parsed = parse_quantity(
            quantity_text,
            unit=product.unit,
            pack_multiple=product.pack_multiple,
            min_order_qty=product.min_order_qty,
        )
        if isinstance(parsed, Quantity):
            wanted.append((product.id, parsed.value))
        else:
            problems.append(
                t(
                    "{sku} {name}: {problem}",
                    sku=sku,
                    name=product.name(ctx.locale),
                    problem=rejection_text(t, parsed),
                )
            )
    prices = await prices_for(
        ctx.session, _distributor_id(ctx), [pid for pid, _ in wanted], _today(ctx)
    )
    for product_id, _quantity in wanted:
        if product_id not in prices:
            product = await product_by_id(ctx.session, product_id)
            assert product is not None
            problems.append(t("{sku}: no price for your distributor yet.", sku=product.sku))
    if problems:
        ctx.reply(
            "\n".join(
                [
                    t("I could not take that order:"),
                    *problems,
                    t("Nothing was added. Please correct it and send it again."),
                ]
            )
        )
        return
    for product_id, quantity in wanted:
        cart = cart.with_quantity(product_id, quantity, add=True)
    if len(cart.lines) > MAX_LINES:
        ctx.reply(
            t("A cart holds at most {limit} products; please split the order.", limit=MAX_LINES)
        )
        return
    await _show_cart(ctx, cart, t("Here is your order; please check it and confirm."))
