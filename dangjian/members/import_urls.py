"""Member import and export (included at members/, next to the member pages)."""

from django.urls import path

from dangjian.members import import_views

app_name = "members_io"
urlpatterns = [
    path("import/", import_views.member_import, name="import"),
    path("import/update/", import_views.member_update_import, name="update"),
    path("export/", import_views.member_export, name="export"),
    path("template/", import_views.member_template, name="template"),
]
