"""The import batches: list, preview, commit, cancel, undo and the download of refused rows."""

from django.urls import path

from dangjian.core import import_views

app_name = "imports"
urlpatterns = [
    path("", import_views.batch_list, name="list"),
    path("<int:pk>/", import_views.batch_detail, name="detail"),
    path("<int:pk>/commit/", import_views.batch_commit, name="commit"),
    path("<int:pk>/cancel/", import_views.batch_cancel, name="cancel"),
    path("<int:pk>/undo/", import_views.batch_undo, name="undo"),
    path("<int:pk>/errors.xlsx", import_views.batch_errors, name="errors"),
]
