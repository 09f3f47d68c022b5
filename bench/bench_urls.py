"""URLs for bench/members_import.py: the platform's, plus a bare JSON view over the member list's query."""

from django.http import JsonResponse
from django.urls import path
from django.utils import timezone

from dangjian.accounts.services import user_for_token
from dangjian.members import queries
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
    """The list API's queries (same scope, filters, order and per-org count; first 50), as plain JSON."""
    user = user_for_token(request.headers["Authorization"].removeprefix("Bearer "))
    listing = queries.listing(user, None, queries.MemberFilters(), timezone.localdate())
    members = queries.for_listing(listing.rows)
    return JsonResponse({"count": listing.count(), "items": list(members.values(*FIELDS)[:50])})


urlpatterns = [path("bench/members.json", bare_members), *platform]
