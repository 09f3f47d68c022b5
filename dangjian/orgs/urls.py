from django.urls import path

from dangjian.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.org_list, name="list"),
    path("tree/", views.tree_children, name="tree_children"),
    path("select/", views.org_select, name="select"),
    path("<int:pk>/", views.org_detail, name="detail"),
    path("<int:pk>/children/new/", views.org_create_child, name="create_child"),
    path("<int:pk>/edit/", views.org_edit, name="edit"),
    path("<int:pk>/move/", views.org_move, name="move"),
    path("<int:pk>/dissolve/", views.org_dissolve, name="dissolve"),
    path("<int:pk>/current/", views.set_current, name="set_current"),
]
