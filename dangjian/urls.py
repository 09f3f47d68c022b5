"""Every URL of the platform, by app. Each app lists its own paths explicitly in its urls module."""

from django.urls import include, path

from dangjian.api import api

urlpatterns = [
    path("", include("dangjian.core.urls")),
    path("imports/", include("dangjian.core.import_urls")),
    path("accounts/", include("dangjian.accounts.urls")),
    path("orgs/", include("dangjian.orgs.urls")),
    path("orgs/", include("dangjian.orgs.import_urls")),
    path("members/", include("dangjian.members.urls")),
    path("members/", include("dangjian.members.import_urls")),
    path("recruitment/", include("dangjian.recruitment.urls")),
    path("activities/", include("dangjian.activities.urls")),
    path("dues/", include("dangjian.dues.urls")),
    path("reports/", include("dangjian.reports.urls")),
    path("api/v1/", api.urls),
]
