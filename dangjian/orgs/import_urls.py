"""Org import and export (included at orgs/, next to the org pages)."""

from django.urls import path

from dangjian.orgs import import_views

app_name = "org_io"
urlpatterns = [
    path("import/", import_views.org_import, name="import"),
    path("export/", import_views.org_export, name="export"),
    path("template/", import_views.org_template, name="template"),
]
