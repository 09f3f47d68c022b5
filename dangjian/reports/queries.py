"""What the pages and the API of reports share: which subtree and which period a request asks for."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from dangjian.core.access import get_visible_or_404, scopes_for
from dangjian.core.errors import ServiceError
from dangjian.orgs.models import Org
from dangjian.reports.registry import Period


def require_party_role(user) -> None:
    """Statistics are read by people holding a party role; system roles and strangers see none of it."""
    if not scopes_for(user):
        raise PermissionDenied("您没有党组织方面的角色,不能查看统计数据。")


def top_org(user) -> Org:
    """The highest org of the user's scope: where statistics start when no org is named."""
    scopes = sorted(scopes_for(user), key=lambda scope: (len(scope.path), scope.path))
    org = Org.objects.filter(path=scopes[0].path).first() if scopes else None
    if org is None:
        raise Http404("没有可查看的党组织。")
    return org


def org_in_scope(user, org_id) -> Org:
    return get_visible_or_404(Org, user, pk=org_id)


def default_period(today: date | None = None) -> Period:
    """This year so far: flows from 1 January, stocks as of today."""
    today = today or timezone.localdate()
    return Period(date(today.year, 1, 1), today)


def period_from(start: date | None, end: date | None, today: date | None = None) -> Period:
    """The period a request names; an open end is today, an open start 1 January of the end's year."""
    if end is None:
        end = today or timezone.localdate()
    start = start or date(end.year, 1, 1)
    if start > end:
        raise ServiceError("统计期间的开始日期晚于结束日期。", field="from")
    return Period(start, end)
