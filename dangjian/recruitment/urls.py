from django.urls import path

from dangjian.recruitment import views

app_name = "recruitment"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("todo/", views.todo_list, name="todo"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/set/", views.plan_set, name="plan_set"),
    path("audit/", views.archive_audit, name="audit"),
    path("rule-sets/", views.rule_set_list, name="rule_sets"),
    path("import/", views.case_import, name="import"),
    path("import/template/", views.import_template, name="import_template"),
    path("rule-sets/switch/", views.rule_set_switch, name="rule_set_switch"),
    path("open/<int:member_pk>/", views.case_open, name="open"),
    path("steps/<int:pk>/attachment/", views.step_attachment, name="attachment"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/step/", views.step_create, name="step"),
    path("<int:pk>/assessment/", views.assessment_create, name="assessment"),
    path("<int:pk>/extend/", views.probation_extend, name="extend"),
    path("<int:pk>/end/", views.case_end, name="end"),
    path("<int:pk>/dossier.docx", views.case_dossier, name="dossier"),
]
