from django.urls import path

from dangjian.core import audit_views, views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", audit_views.audit_list, name="audit_list"),
]
