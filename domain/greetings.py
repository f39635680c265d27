"""Holiday greetings as the business knows them: the occasions, and the rules for their words.

The dates live in scheduler.calendar and the sending in scheduler.greetings; the words an
operator imports (`partnerbot import greetings FILE`) are checked here and kept in
`greeting_texts`, overriding the catalogs' wording for that occasion and language.
"""

from __future__ import annotations

import string
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import GreetingText

PLACEHOLDERS = frozenset({"name", "distributor", "years"})
MAX_TEXT = 1000


class Occasion(StrEnum):
    SPRING_FESTIVAL = "spring_festival"  # greeted on New Year's Eve (除夕)
    LANTERN = "lantern"
    DRAGON_BOAT = "dragon_boat"
    QIXI = "qixi"  # optional: off unless configured
    MID_AUTUMN = "mid_autumn"
    NATIONAL_DAY = "national_day"
    NEW_YEAR = "new_year"
    ANNIVERSARY = "anniversary"  # each partner's anniversary of joining


class TextProblem(StrEnum):
    UNMATCHED_BRACE = "unmatched_brace"
    UNKNOWN_PLACEHOLDER = "unknown_placeholder"


def text_problem(text: str) -> tuple[TextProblem, str] | None:
    """Why these words cannot be a greeting (and the offending placeholder), or None."""
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return TextProblem.UNMATCHED_BRACE, ""
    unknown = sorted(fields - PLACEHOLDERS)
    if unknown:
        return TextProblem.UNKNOWN_PLACEHOLDER, "{" + unknown[0] + "}"
    return None


async def greeting_overrides(session: AsyncSession) -> dict[tuple[str, str], str]:
    """(occasion, locale) -> the operator's words."""
    rows = await session.execute(
        select(GreetingText.occasion, GreetingText.locale, GreetingText.text)
    )
    return {(occasion, locale): text for occasion, locale, text in rows}


async def set_greeting_text(
    session: AsyncSession, occasion: Occasion, locale: str, text: str | None, now: datetime
) -> bool:
    """Store the words (None: back to the catalog's); True when anything changed."""
    existing = await session.get(GreetingText, (occasion.value, locale))
    if text is None:
        if existing is None:
            return False
        await session.execute(
            delete(GreetingText).where(
                GreetingText.occasion == occasion.value, GreetingText.locale == locale
            )
        )
        return True
    if existing is None:
        session.add(GreetingText(occasion=occasion.value, locale=locale, text=text, updated_at=now))
        return True
    if existing.text == text:
        return False
    existing.text = text
    existing.updated_at = now
    return True
