from django.urls import path

from dangjian.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("calendar/", views.calendar, name="calendar"),
    path("new/", views.activity_create, name="create"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/edit/", views.activity_edit, name="edit"),
    path("<int:pk>/cancel/", views.activity_cancel, name="cancel"),
    path("<int:pk>/attendance/", views.attendance_mark, name="attendance"),
    path("<int:pk>/qr.svg", views.activity_qr, name="qr"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("checkin/<str:token>/", views.checkin, name="checkin"),
    path("m/", views.mine, name="mine"),
    path("compliance/", views.compliance, name="compliance"),
    path("compliance/<int:pk>/", views.org_compliance, name="org_compliance"),
    path("compliance/<int:pk>/unlock/", views.unlock, name="unlock"),
    path("study-hours/", views.study_hours, name="study_hours"),
    path("training/", views.training_list, name="training_list"),
    path("training/new/", views.training_create, name="training_create"),
    path("training/<int:pk>/", views.training_detail, name="training_detail"),
    path("figures/", views.figures, name="figures"),
    path("import/", views.activity_import, name="import"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/kinds/new/", views.kind_create, name="kind_create"),
    path("template/", views.activity_template, name="template"),
]
