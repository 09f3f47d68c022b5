from django.urls import path

from dangjian.members import views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("new/", views.member_create, name="create"),
    path("select/", views.member_select, name="select"),
    path("events/", views.event_list, name="events"),
    path("ledgers/", views.ledger_list, name="ledgers"),
    path("reminders/", views.reminder_list, name="reminders"),
    path("transfers/", views.transfer_list, name="transfers"),
    path("logins/", views.login_links, name="logins"),
    path("logins/<int:pk>/end/", views.login_unlink, name="login_unlink"),
    path("mine/", views.mine, name="mine"),
    path("transfers/receive/", views.transfer_receive, name="transfer_receive"),
    path("transfers/<int:pk>/accept/", views.transfer_accept, name="transfer_accept"),
    path("transfers/<int:pk>/return/", views.transfer_return, name="transfer_return"),
    path("transfers/<int:pk>/receipt/", views.transfer_receipt, name="transfer_receipt"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/reveal/", views.member_reveal, name="reveal"),
    path("<int:pk>/edit/", views.member_edit, name="edit"),
    path("<int:pk>/events/new/", views.member_event, name="event"),
    path("<int:pk>/transfer/", views.transfer_issue, name="transfer"),
    path("<int:pk>/contacts/new/", views.member_contact, name="contact"),
    path("<int:pk>/care/new/", views.member_care, name="care"),
]
