"""Which site a page shows (``dialer.sites``): a team lead's own site whatever the URL asks; for a manager or an
admin the site chosen in the page's site filter (``?site=<id>``), or every site. ``site_filter.html`` draws the
filter for those who may choose."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from fastapi import Request

from admin_ui.auth import CurrentUser, services_of
from campaigns.lead_search import LeadQuery
from dialer import sites


async def site_context(request: Request, user: CurrentUser, wanted: int | None) -> tuple[int | None, dict[str, Any]]:
    """(the site to show, None for every site; the template context of the site filter and the site names)."""
    all_sites = await sites.list_sites(services_of(request).pool)
    chosen = sites.visible_site(user.site_scope, wanted)
    may_choose = user.site_scope is None and len(all_sites) > 1
    return chosen, {"site_choices": all_sites if may_choose else [], "site_selected": chosen,
                    "site_names": {s.id: s.name for s in all_sites}, "site_many": len(all_sites) > 1}


async def scoped_lead_query(request: Request, user: CurrentUser, query: LeadQuery) -> LeadQuery:
    """A lead search of a user of one site: only the leads of their site's campaigns (the campaigns asked for,
    less those of other sites)."""
    if user.site_scope is None:
        return query
    mine = await sites.campaign_ids(services_of(request).pool, [user.site_scope])
    asked = mine if query.campaign_ids is None else mine & set(query.campaign_ids)
    return replace(query, campaign_ids=tuple(sorted(asked)))


def with_sites(items: Iterable[Any], site_of: Mapping[int, int], shown: int | None) -> list[dict[str, Any]]:
    """The campaigns or queues of site ``shown`` (None: every site) as the API lists them: each ``as_dict`` with its
    ``site_id``."""
    return [{**item.as_dict(), "site_id": site_of.get(item.id)} for item in items
            if shown is None or site_of.get(item.id) == shown]
