from django.urls import path

from dangjian.orgs import committee_views, import_views, pairing_views, place_views, unit_views, views

app_name = "orgs"
urlpatterns = [
    path("", views.org_list, name="list"),
    path("tree/", views.tree_children, name="tree_children"),
    path("select/", views.org_select, name="select"),
    path("<int:pk>/", views.org_detail, name="detail"),
    path("<int:pk>/children/new/", views.org_create_child, name="create_child"),
    path("<int:pk>/edit/", views.org_edit, name="edit"),
    path("<int:pk>/move/", views.org_move, name="move"),
    path("<int:pk>/merge/", views.org_merge, name="merge"),
    path("<int:pk>/dissolve/", views.org_dissolve, name="dissolve"),
    path("<int:pk>/current/", views.set_current, name="set_current"),
    # Events, their figures and the rules' findings
    path("events/", views.event_list, name="events"),
    path("events/export/", views.event_export, name="events_export"),
    path("events/<int:pk>/correct/", views.event_correct, name="event_correct"),
    path("figures/", views.figure_page, name="figures"),
    path("findings/", views.finding_list, name="findings"),
    # Committees and terms
    path("<int:pk>/committee/", committee_views.committee_page, name="committee"),
    path("<int:pk>/committee/elect/", committee_views.committee_elect, name="committee_elect"),
    path("<int:pk>/committee/appoint/", committee_views.committee_appoint, name="committee_appoint"),
    path(
        "committees/<int:pk>/members/new/", committee_views.committee_member_add, name="committee_member_add"
    ),
    path(
        "committee-members/<int:pk>/end/", committee_views.committee_member_end, name="committee_member_end"
    ),
    path("committees/<int:pk>/term/", committee_views.committee_term, name="committee_term"),
    path("terms/", committee_views.term_list, name="terms"),
    path("terms/export/", committee_views.term_export, name="terms_export"),
    path("committees/import/", import_views.committee_import, name="committee_import"),
    path("committees/template/", import_views.committee_template, name="committee_template"),
    # Party groups
    path("<int:pk>/groups/new/", committee_views.group_create, name="group_create"),
    path("groups/<int:pk>/", committee_views.group_detail, name="group_detail"),
    path("groups/<int:pk>/edit/", committee_views.group_edit, name="group_edit"),
    path("groups/<int:pk>/dissolve/", committee_views.group_dissolve, name="group_dissolve"),
    path("groups/<int:pk>/members/new/", committee_views.group_member_add, name="group_member_add"),
    path("group-members/<int:pk>/remove/", committee_views.group_member_remove, name="group_member_remove"),
    # Units
    path("units/", unit_views.unit_list, name="units"),
    path("units/export/", unit_views.unit_export, name="units_export"),
    path("units/import/", import_views.unit_import, name="unit_import"),
    path("units/template/", import_views.unit_template, name="unit_template"),
    path("<int:pk>/units/new/", unit_views.unit_create, name="unit_create"),
    path("units/<int:pk>/", unit_views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", unit_views.unit_edit, name="unit_edit"),
    # Pairings
    path("pairings/", pairing_views.pairing_list, name="pairings"),
    path("pairings/export/", pairing_views.pairing_export, name="pairings_export"),
    path("pairings/new/", pairing_views.pairing_create, name="pairing_create"),
    path("pairings/<int:pk>/", pairing_views.pairing_detail, name="pairing_detail"),
    path("pairings/<int:pk>/edit/", pairing_views.pairing_edit, name="pairing_edit"),
    path("pairings/<int:pk>/orgs/new/", pairing_views.pairing_org_add, name="pairing_org_add"),
    path("pairing-orgs/<int:pk>/remove/", pairing_views.pairing_org_remove, name="pairing_org_remove"),
    path(
        "pairings/<int:pk>/activities/new/", pairing_views.pairing_activity_add, name="pairing_activity_add"
    ),
    # Places and weak-and-lax flags
    path("places/", place_views.place_list, name="places"),
    path("places/export/", place_views.place_export, name="places_export"),
    path("<int:pk>/places/new/", place_views.place_create, name="place_create"),
    path("places/<int:pk>/edit/", place_views.place_edit, name="place_edit"),
    path("places/<int:pk>/close/", place_views.place_close, name="place_close"),
    path("weak/", place_views.weak_list, name="weak_flags"),
    path("weak/export/", place_views.weak_export, name="weak_flags_export"),
    path("<int:pk>/weak/new/", place_views.weak_create, name="weak_create"),
    path("weak/<int:pk>/", place_views.weak_detail, name="weak_detail"),
    path("weak/<int:pk>/steps/new/", place_views.weak_step_add, name="weak_step_add"),
    path("weak/<int:pk>/close/", place_views.weak_close, name="weak_close"),
]
