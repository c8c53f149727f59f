"""``dialer campaign create|list|show|state|agents|assign-agents|unassign-agents``: manage campaigns from the
command line."""

from __future__ import annotations

import argparse
import asyncio
import json

from campaigns import repository
from campaigns.holidays import CALENDARS
from campaigns.model import Campaign, CampaignState, DialMode, MachineAction
from campaigns.windows import DAY_NAMES, PROFILES
from dialer.commands._campaign_agents import register_agent_actions
from dialer.commands._common import settings_from
from dialer.errors import DialerError
from dialer.runtime import open_services


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("campaign", help="create, list and show campaigns; assign agents")
    csub = p.add_subparsers(dest="campaign_command", metavar="ACTION", required=True)
    create = csub.add_parser("create", help="create a campaign (in the draft state)")
    create.add_argument("name")
    create.add_argument("--mode", default="progressive", choices=[m.value for m in DialMode])
    create.add_argument("--trunk", required=True, help="dial-string template, e.g. 'PJSIP/{number}@carrier'")
    create.add_argument("--caller-id", default="")
    create.add_argument("--region", default="US", help="default region for numbers without +CC (ISO code)")
    create.add_argument("--timezone", default="UTC", help="the campaign's own zone (schedule, fallback)")
    create.add_argument("--window", default="us", choices=[*PROFILES, "custom"], help="calling-window profile")
    create.add_argument("--window-hours", action="append", default=[], metavar="DAYS=HH:MM-HH:MM[,...]",
                        help="custom window hours, e.g. mon-fri=09:00-12:00,14:00-19:00 (repeatable)")
    create.add_argument("--window-max-attempts", type=int, help="custom window: attempts per 30 days")
    create.add_argument("--schedule-hours", action="append", default=[], metavar="DAYS=HH:MM-HH:MM[,...]",
                        help="when the campaign runs, in its own zone (default: always)")
    create.add_argument("--holidays", choices=list(CALENDARS), help="the schedule is closed on these public holidays")
    create.add_argument("--closed-day", action="append", default=[], metavar="YYYY-MM-DD",
                        help="a day the campaign does not run (repeatable)")
    create.add_argument("--start-date", help="first day (YYYY-MM-DD)")
    create.add_argument("--end-date", help="last day (YYYY-MM-DD)")
    create.add_argument("--target-abandon", type=float, default=0.03)
    create.add_argument("--ratio", type=float, default=1.0, help="power mode: lines per agent")
    create.add_argument("--record", action="store_true", help="record calls")
    create.add_argument("--amd", action="store_true", help="detect answering machines")
    create.add_argument("--machine-action", default="hangup", choices=[m.value for m in MachineAction])
    create.add_argument("--safe-harbor", default="",
                        help="safe-harbor message: Asterisk sound name(s) without extension, a&b for several "
                             "(default please-try-call-later); the engine sets it as DIALER_SAFE_HARBOR")
    create.add_argument("--crm-url", default="", help="CRM pop URL template, e.g. https://crm/x?tel={phone}")
    create.set_defaults(func=run_create)
    lst = csub.add_parser("list", help="list campaigns")
    lst.set_defaults(func=run_list)
    show = csub.add_parser("show", help="show a campaign's settings, lists and lead counts (JSON)")
    show.add_argument("campaign", help="id or name")
    show.set_defaults(func=run_show)
    state = csub.add_parser("state", help="change a campaign's state (checked against the state machine)")
    state.add_argument("campaign", help="id or name")
    state.add_argument("state", choices=[s.value for s in CampaignState])
    state.set_defaults(func=run_state)
    register_agent_actions(csub)


def parse_hours(specs: list[str]) -> dict[str, list[str]]:
    """``["mon-fri=09:00-12:00,14:00-19:00", "sat=10:00-12:00"]`` -> hours by weekday name."""
    hours: dict[str, list[str]] = {}
    for spec in specs:
        days, sep, intervals = spec.partition("=")
        if not sep:
            raise DialerError(f"bad hours {spec!r}: expected DAYS=HH:MM-HH:MM[,...]")
        first, _, last = days.strip().lower().partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise DialerError(f"bad days {days!r}: use {', '.join(DAY_NAMES)} or a range such as mon-fri")
        span = DAY_NAMES[DAY_NAMES.index(first):DAY_NAMES.index(last or first) + 1]
        for day in span:
            hours.setdefault(day, []).extend(i.strip() for i in intervals.split(",") if i.strip())
    return hours


def campaign_from_args(args: argparse.Namespace) -> Campaign:
    settings: dict[str, object] = {
        "name": args.name, "dial_mode": args.mode, "trunk_template": args.trunk, "caller_id": args.caller_id,
        "default_region": args.region.upper(), "timezone": args.timezone, "window_profile": args.window,
        "pacing": {"ratio": args.ratio, "target_abandon": args.target_abandon}, "record_calls": args.record,
        "amd_enabled": args.amd, "machine_action": args.machine_action, "safe_harbor_message": args.safe_harbor,
        "crm_url_template": args.crm_url,
    }
    if args.window == "custom":
        settings["custom_window"] = {"hours": parse_hours(args.window_hours),
                                     "max_attempts": args.window_max_attempts}
    if args.schedule_hours or args.start_date or args.end_date or args.holidays or args.closed_day:
        hours = parse_hours(args.schedule_hours) if args.schedule_hours else {d: ["00:00-24:00"] for d in DAY_NAMES}
        settings["schedule"] = {"hours": hours, "start_date": args.start_date, "end_date": args.end_date,
                                "holiday_calendar": args.holidays, "closed_days": args.closed_day}
    return Campaign(id=0, name=args.name, trunk_template=args.trunk).with_settings(settings)


def run_create(args: argparse.Namespace) -> int:
    campaign = campaign_from_args(args)

    async def go() -> Campaign:
        async with open_services(settings_from(args)) as services:
            return await repository.create_campaign(services.pool, campaign=campaign)

    created = asyncio.run(go())
    print(f"created campaign {created.id} {created.name!r} ({created.dial_mode.value}, {created.state.value})")
    return 0


def run_list(args: argparse.Namespace) -> int:
    async def go() -> list[tuple[Campaign, int]]:
        async with open_services(settings_from(args)) as services:
            found = await repository.list_campaigns(services.pool)
            return [(c, sum((await repository.count_leads(services.pool, campaign_id=c.id)).values())) for c in found]

    rows = asyncio.run(go())
    print(f"{'id':>5}  {'name':<28} {'state':<10} {'mode':<12} {'region':<6} {'window':<8} {'leads':>9}")
    for c, leads in rows:
        print(f"{c.id:>5}  {c.name[:28]:<28} {c.state.value:<10} {c.dial_mode.value:<12} {c.default_region:<6}"
              f" {c.window_profile:<8} {leads:>9}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    async def go() -> dict[str, object]:
        async with open_services(settings_from(args)) as services:
            c = await repository.find_campaign(services.pool, ref=args.campaign)
            lists = await repository.list_lists(services.pool, campaign_id=c.id)
            return {**c.as_dict(), "leads": await repository.count_leads(services.pool, campaign_id=c.id),
                    "agents": await repository.campaign_agents(services.pool, campaign_id=c.id),
                    "lists": [{"id": li.id, "name": li.name, "status": li.status, "counts": dict(li.counts)}
                              for li in lists]}

    print(json.dumps(asyncio.run(go()), indent=2, ensure_ascii=False))
    return 0


def run_state(args: argparse.Namespace) -> int:
    async def go() -> Campaign:
        async with open_services(settings_from(args)) as services:
            c = await repository.find_campaign(services.pool, ref=args.campaign)
            async with services.pool.acquire() as conn:
                return await repository.set_campaign_state(conn, campaign_id=c.id, target=CampaignState(args.state))

    changed = asyncio.run(go())
    print(f"campaign {changed.id} {changed.name!r} is now {changed.state.value}")
    return 0
