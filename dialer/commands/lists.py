"""``dialer list import|rejects``: import call lists (CSV/XLSX) into a campaign with a progress bar."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import phonenumbers
from tqdm import tqdm

from campaigns import jobs, repository
from campaigns.errors import ImportFailed
from campaigns.imports import ROLES, build_column_map, parse_map_option
from campaigns.readers import HeaderChoice, UnreadableFile, open_table
from dialer.commands._common import settings_from
from dialer.runtime import open_services


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("list", help="import call lists into campaigns")
    lsub = p.add_subparsers(dest="list_command", metavar="ACTION", required=True)
    imp = lsub.add_parser("import", help="import a CSV or XLSX file into a campaign")
    imp.add_argument("campaign", help="campaign id or name")
    imp.add_argument("file", type=Path)
    imp.add_argument("--map", default="", metavar="FIELD=COLUMN,...",
                     help=f"column mapping, e.g. phone=Tel,first_name=Prénom,alt_phones=Mobile|#5 (#5: the fifth "
                          f"column, for duplicate or empty column names; fields: {', '.join(ROLES)}); unmapped "
                          f"columns are kept as lead fields")
    header = imp.add_mutually_exclusive_group()
    header.add_argument("--header-row", type=int, metavar="N",
                        help="the row holding the column names (1 = the first; default: row 1, or the row below "
                             "a title row, which is detected and named)")
    header.add_argument("--no-header", action="store_true",
                        help="the file has no row of column names: map the columns by position (phone=#1)")
    imp.add_argument("--list-name", help="name of the list (default: the file name)")
    imp.add_argument("--region", default="", metavar="CC",
                     help="country of the numbers written without +country code, as an ISO code (e.g. FR); "
                          "default: the campaign's region")
    imp.add_argument("--workers", type=int, default=2, help="processes normalising numbers (default 2)")
    imp.set_defaults(func=run_import)
    rej = lsub.add_parser("rejects", help="write a list's rejects report as CSV")
    rej.add_argument("list_id", type=int)
    rej.add_argument("--out", type=Path, help="output file (default: in the data directory)")
    rej.set_defaults(func=run_rejects)


def list_region_option(text: str) -> str:
    """``--region``: an ISO region code phonenumbers knows, upper-cased, or '' (the campaign's region)."""
    region = text.strip().upper()
    if region and region not in phonenumbers.SUPPORTED_REGIONS:
        raise ImportFailed(f"unknown region {text!r}; use an ISO code such as FR, VN or US")
    return region


def unreadable_text(exc: UnreadableFile, name: str) -> str:
    """What the file is, in English and Vietnamese (the pages' translations)."""
    from admin_ui.i18n import translator

    return "\n".join(translator(language)(f"unreadable_{exc.code}", name=name) for language in ("en", "vi"))


def rejects_path(data_dir: Path, list_id: int) -> Path:
    return data_dir / "rejects" / f"list-{list_id}-rejects.csv"


def run_import(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise ImportFailed(f"no file {args.file}")
    mapping = parse_map_option(args.map) if args.map else None
    header_row: HeaderChoice = None if args.no_header else args.header_row or "auto"
    if args.header_row is not None and args.header_row < 1:
        raise ImportFailed("--header-row counts from 1 (the first row of the file)")
    try:
        table = open_table(args.file, header_row)       # a file that is not a list is refused before anything
    except UnreadableFile as exc:
        raise ImportFailed(unreadable_text(exc, args.file.name)) from None
    if header_row == "auto" and table.header_row != 1:
        print(f"row {table.header_row} holds the column names (the rows above look like a title); "
              f"use --header-row N to choose another" if table.header_row else
              "the first row looks like data, so the file is read without a header row; map columns by position "
              "(--map phone=#N) or use --header-row 1")
    try:
        build_column_map(table.header, mapping)
    finally:
        table.close()
    region = list_region_option(args.region)
    settings = settings_from(args)

    async def go() -> tuple[int, dict[str, int], Path]:
        async with open_services(settings) as services:
            campaign = await repository.find_campaign(services.pool, ref=args.campaign)
            async with services.pool.acquire() as conn:
                lst = await repository.create_list(conn, campaign_id=campaign.id, source_filename=args.file.name,
                                                   name=args.list_name or args.file.name)
                if region:
                    await repository.set_list_region(conn, list_id=lst.id, region=region)
                bar = tqdm(desc=f"import into {campaign.name}", unit="row", unit_scale=True, total=None)

                def progress(done: int, total: int | None, message: str) -> None:
                    bar.total = total
                    bar.n = done
                    bar.set_postfix_str(message, refresh=False)
                    bar.refresh()

                try:
                    counts = await jobs.run_import(conn, campaign_id=campaign.id, list_id=lst.id, path=args.file,
                                                   mapping=mapping, now=services.clock.now(), progress=progress,
                                                   workers=args.workers, header_row=header_row)
                finally:
                    bar.close()
                path = await jobs.write_rejects_file(conn, list_id=lst.id,
                                                     path=rejects_path(settings.data_dir, lst.id))
        return lst.id, counts, path

    list_id, counts, path = asyncio.run(go())
    print(f"list {list_id}: {counts['rows']} rows, {counts['imported']} leads imported, {counts['rejected']} rejected")
    for kind in ("invalid", "unreadable", "malformed", "unterminated_quote", "duplicate_file", "duplicate_campaign",
                 "dnc", "above_header"):
        if counts.get(kind):
            print(f"  {kind.replace('_', ' ')}: {counts[kind]}")
    if counts.get(jobs.ZONE_FLAGGED):
        print(f"  imported with their time zone flagged (see the report): {counts[jobs.ZONE_FLAGGED]}")
    print(f"rejects report: {path}")
    return 0


def run_rejects(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def go() -> Path:
        async with open_services(settings) as services:
            await repository.get_list(services.pool, list_id=args.list_id)
            async with services.pool.acquire() as conn:
                return await jobs.write_rejects_file(
                    conn, list_id=args.list_id, path=args.out or rejects_path(settings.data_dir, args.list_id))

    print(asyncio.run(go()))
    return 0
