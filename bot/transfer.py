"""`partnerbot import KIND FILE` and `partnerbot export KIND FILE`: the domain's codes, in words.

Exit codes: 0 done; 1 rows refused (nothing written); 2 the file cannot be used (unreadable,
wrong format, required columns missing); 3 the database cannot be used.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.bootstrap import App
from domain.enums import Role
from domain.tabular import FileProblem, TableRefused
from domain.transfer import (
    KINDS,
    ImportContext,
    ImportResult,
    Problem,
    RowError,
    SideEffect,
    TransferConflict,
    export_file,
    import_file,
)
from handlers.formatting import role_name
from handlers.i18n import N_, Translate

EXIT_OK = 0
EXIT_ROWS_REFUSED = 1
EXIT_BAD_FILE = 2
EXIT_NO_DATABASE = 3

FILE_PROBLEMS: Mapping[FileProblem, str] = {
    FileProblem.NOT_FOUND: N_("{path} does not exist."),
    FileProblem.NOT_A_FILE: N_("{path} is a folder, not a file."),
    FileProblem.UNREADABLE: N_("{path} cannot be read; check that you may open it."),
    FileProblem.UNSUPPORTED_EXTENSION: N_(
        "{path}: only .csv and .xlsx files can be used (this one ends in “{extension}”). "
        "In Excel, choose Save As → Excel Workbook (.xlsx) or CSV UTF-8."
    ),
    FileProblem.TOO_LARGE: N_("{path} is larger than {max_mb} MB; split it into smaller files."),
    FileProblem.EMPTY: N_("{path} is empty: it has no header row."),
    FileProblem.NOT_TEXT: N_(
        "{path} is not a text CSV file (is it a workbook or a picture renamed to .csv?)."
    ),
    FileProblem.UNKNOWN_ENCODING: N_(
        "{path} is neither UTF-8 nor GB18030 text; in Excel, save it as CSV UTF-8."
    ),
    FileProblem.MALFORMED_CSV: N_(
        "{path} is not valid CSV near row {row} (a quote that is never closed, or a huge cell?)."
    ),
    FileProblem.CORRUPT_XLSX: N_(
        "{path} is damaged or not really an Excel workbook; open it in Excel and save it again "
        "as .xlsx."
    ),
    FileProblem.MISSING_COLUMNS: N_(
        "{path} lacks required columns: {columns}. The header row (the first row, or one of the "
        "first ten) must name them."
    ),
    FileProblem.DUPLICATE_COLUMN: N_(
        "{path} has the columns “{first}” and “{second}”, which both mean {column}; keep one."
    ),
    FileProblem.TOO_MANY_ROWS: N_("{path} has more than {max} rows; split it into smaller files."),
    FileProblem.CANNOT_WRITE: N_(
        "Cannot write {path}: does the folder exist, and is the file not open in Excel?"
    ),
}

ROW_PROBLEMS: Mapping[Problem, str] = {
    Problem.REQUIRED: N_("a value is required"),
    Problem.TOO_LONG: N_("too long: {length} characters, at most {max}"),
    Problem.CONTROL_CHARACTERS: N_("contains a line break or another invisible control character"),
    Problem.INVALID_CODE: N_(
        "“{value}” is not a code: use letters, digits, “-”, “_” or “.”, without spaces"
    ),
    Problem.NOT_AN_INTEGER: N_("“{value}” is not a whole number"),
    Problem.NOT_POSITIVE: N_("“{value}” must be greater than zero"),
    Problem.TOO_LARGE: N_("“{value}” is too large (at most {max})"),
    Problem.INVALID_TIER: N_("“{value}” is not a tier: use 1 or 2 (一级 or 二级)"),
    Problem.INVALID_GRADE: N_("“{value}” is not a grade: use A, B, C or D"),
    Problem.INVALID_STATUS: N_(
        "“{value}” is not a status: use active, suspended or terminated (正常, 暂停, 终止)"
    ),
    Problem.INVALID_ROLE: N_(
        "“{value}” is not a role: use distributor_staff, tier1_staff, field_rep, manager or admin"
    ),
    Problem.INVALID_LOCALE: N_("“{value}” is not a language: use zh_CN or en"),
    Problem.INVALID_TIMEZONE: N_("“{value}” is not a time zone: use a name like Asia/Shanghai"),
    Problem.INVALID_UNIT: N_(
        "“{value}” is not a unit: use case, piece, bottle, bag or box (箱, 件, 瓶, 袋, 盒)"
    ),
    Problem.INVALID_BOOLEAN: N_("“{value}” is neither yes nor no (是 or 否 work too)"),
    Problem.INVALID_DATE: N_("“{value}” is not a date: write it like 2024-03-18"),
    Problem.INVALID_PHONE: N_("“{value}” is not a phone number"),
    Problem.DUPLICATE_CODE: N_("{value} appears twice: it is already in row {first_row}"),
    Problem.UNKNOWN_PARENT: N_("no distributor has the code {value}, in the database or this file"),
    Problem.PARENT_NOT_TIER1: N_("the parent {value} is not a tier-1 distributor"),
    Problem.TIER1_WITH_PARENT: N_(
        "a tier-1 distributor reports to the brand itself: leave its parent ({value}) empty"
    ),
    Problem.STILL_HAS_TIER2: N_(
        "cannot become tier 2 while {count} tier-2 distributors report to it ({children}); "
        "give them another parent in the same file"
    ),
    Problem.UNKNOWN_REP: N_("no user has the code {value}; import the field rep as a user first"),
    Problem.NOT_A_FIELD_REP: N_("{value} is not a field rep but a {role}"),
    Problem.UNKNOWN_DISTRIBUTOR: N_(
        "no distributor has the code {value}; import the distributor first"
    ),
    Problem.DISTRIBUTOR_REQUIRED: N_("a {role} needs the code of their distributor"),
    Problem.DISTRIBUTOR_NOT_ALLOWED: N_(
        "a {role} belongs to the brand, not to a distributor: leave {value} out"
    ),
    Problem.WRONG_TIER_FOR_ROLE: N_(
        "{value} is a tier-{tier} distributor, which a {role} cannot belong to "
        "(tier1_staff: tier 1; distributor_staff: tier 2)"
    ),
    Problem.REP_STILL_ASSIGNED: N_(
        "still the field rep of {count} distributors: give them another rep in the "
        "distributors file first"
    ),
    Problem.CATEGORY_EN_REQUIRED: N_("the new category {value} needs its English name here"),
    Problem.CATEGORY_EN_CONFLICT: N_(
        "the category {value} has another English name in row {first_row}"
    ),
    Problem.MIN_ORDER_NOT_MULTIPLE: N_(
        "the minimum order {min} is not a multiple of the pack multiple {pack}"
    ),
    Problem.INVALID_OCCASION: N_(
        "“{value}” is not an occasion: use spring_festival, lantern, dragon_boat, qixi, "
        "mid_autumn, national_day, new_year or anniversary (春节, 元宵, 端午, 七夕, 中秋, 国庆, "
        "元旦, 周年)"
    ),
    Problem.UNMATCHED_BRACE: N_("a brace is not closed: write placeholders like {example}"),
    Problem.UNKNOWN_PLACEHOLDER: N_("{value} is not a placeholder: use {known}"),
    Problem.INVALID_PRICE_KIND: N_(
        "“{value}” is not a kind of price row: use list, override or floor "
        "(价目表, 特价, 最低零售价)"
    ),
    Problem.INVALID_PRICE: N_(
        "“{value}” is not a price: write it like 12.50, at most two decimals"
    ),
    Problem.UNKNOWN_PRODUCT: N_("no product has the SKU {value}; import the product first"),
    Problem.REQUIRED_FOR_KIND: N_("a {kind} row needs a value here"),
    Problem.NOT_FOR_KIND: N_("a {kind} row does not use this column: leave it empty"),
    Problem.ENDS_BEFORE_START: N_("{value} is before the start date {start}"),
    Problem.PRICE_LIST_CONFLICT: N_(
        "the price list {value} has another tier, grade or dates in row {first_row}"
    ),
}

SIDE_EFFECTS: Mapping[SideEffect, str] = {
    SideEffect.CATEGORIES_CREATED: N_("New categories: {count}."),
    SideEffect.CATEGORIES_RENAMED: N_("Categories with a new English name: {count}."),
    SideEffect.STAFF_ROLES_CHANGED: N_(
        "Staff whose role followed their distributor's new tier: {count}."
    ),
    SideEffect.PRICE_LISTS_CREATED: N_("New price lists: {count}."),
    SideEffect.PRICE_LISTS_CHANGED: N_("Price lists with a new tier, grade or dates: {count}."),
}


async def run(app: App, command: str, kind: str, path: Path) -> int:
    t = app.translator.bind(app.settings.default_locale)
    try:
        context = ImportContext(app.clock, app.settings.default_locale, app.settings.timezone)
        if command == "export":
            count = await export_file(app.db, kind, path, context)
            print(t("Exported {count} rows to {path}.", count=count, path=str(path)))
            return EXIT_OK
        result = await import_file(app.db, kind, path, context)
    except TableRefused as refused:
        print(describe_file_problem(t, refused, kind), file=sys.stderr)
        return EXIT_BAD_FILE
    except TransferConflict:
        print(
            t(
                "The database changed during the import (another import at the same time?); "
                "nothing was written. Run the import again."
            ),
            file=sys.stderr,
        )
        return EXIT_ROWS_REFUSED
    except (SQLAlchemyError, OSError) as exc:
        print(
            t(
                "The database cannot be used ({error}). Is it running, and has "
                "`partnerbot db upgrade` been run?",
                error=type(exc).__name__,
            ),
            file=sys.stderr,
        )
        return EXIT_NO_DATABASE
    return report(t, result, path)


def report(t: Translate, result: ImportResult, path: Path) -> int:
    if result.ignored_columns:
        print(
            t(
                "Ignored columns (not part of this kind of file): {columns}",
                columns=", ".join(result.ignored_columns),
            )
        )
    if result.errors:
        print(
            t(
                "Nothing was imported: {count} problems in {path}. Fix them and import the "
                "file again.",
                count=len(result.errors),
                path=str(path),
            ),
            file=sys.stderr,
        )
        for error in result.errors:
            print(describe_row_error(t, error, result.headers), file=sys.stderr)
        return EXIT_ROWS_REFUSED
    print(
        t(
            "Imported: {created} created, {updated} updated, {unchanged} unchanged.",
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        )
    )
    for effect, count in result.side_effects.items():
        print(t(SIDE_EFFECTS[effect], count=count))
    return EXIT_OK


def describe_row_error(t: Translate, error: RowError, headers: Mapping[str, str]) -> str:
    params = dict(error.params)
    if params.get("role") in set(Role):
        params["role"] = role_name(t, Role(str(params["role"])))
    reason = t(ROW_PROBLEMS[error.problem], **params)
    if error.column is None:
        return t("row {row}: {reason}", row=error.row, reason=reason)
    column = headers.get(error.column, error.column)
    return t("row {row}, column {column}: {reason}", row=error.row, column=column, reason=reason)


def describe_file_problem(t: Translate, refused: TableRefused, kind: str) -> str:
    params = dict(refused.params)
    if refused.problem is FileProblem.MISSING_COLUMNS:
        params["columns"] = ", ".join(
            _with_alias(kind, name) for name in str(params.get("columns", "")).split(", ")
        )
    params.setdefault("path", "")
    return t(FILE_PROBLEMS[refused.problem], **params)


def _with_alias(kind: str, name: str) -> str:
    """`grade (等级)`: the column's name with its first other spelling, as the docs list them."""
    for column in KINDS[kind].columns:
        if column.name == name:
            other = next((a for a in column.aliases if a.casefold() != name.casefold()), None)
            return f"{name} ({other})" if other else name
    return name
