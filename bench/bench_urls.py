"""URLs for bench/members_import.py: the platform's, plus a bare JSON view over the member list's query."""

from django.http import JsonResponse
from django.urls import path
from django.utils import timezone

from dangjian.accounts.services import user_for_token
from dangjian.members import queries
from dangjian.members.models import Member
from dangjian.urls import urlpatterns as platform

FIELDS = (
    "id",
    "name",
    "sex",
    "birth_date",
    "id_number_masked",
    "category",
    "status",
    "org__name",
    "joined_on",
)


def bare_members(request):
    """The list API's query (same scope, filters and order, first 50 and the count), as plain JSON."""
    user = user_for_token(request.headers["Authorization"].removeprefix("Bearer "))
    members = queries.filter_members(
        Member.objects.visible_to(user), queries.MemberFilters(), timezone.localdate()
    )
    members = queries.for_listing(members)
    return JsonResponse({"count": members.count(), "items": list(members.values(*FIELDS)[:50])})


urlpatterns = [path("bench/members.json", bare_members), *platform]
