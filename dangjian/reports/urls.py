from django.urls import path

from dangjian.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.table_page, name="tables"),
    path("export/", views.table_export, name="tables_export"),
    path("indicators/", views.indicator_list, name="indicators"),
    path("indicators/<str:key>/", views.records, name="records"),
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("dashboard/panels/<str:key>/", views.dashboard_panel, name="dashboard_panel"),
]
