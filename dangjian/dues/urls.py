from django.urls import path

from dangjian.dues import import_views, views

app_name = "dues"
urlpatterns = [
    path("bills/", views.bill_list, name="bills"),
    path("bills/run/", views.bill_run, name="bill_run"),
    path("payments/", views.payment_list, name="payments"),
    path("arrears/", views.arrears_list, name="arrears"),
    path("report/", views.report, name="report"),
    path("bases/", views.base_list, name="bases"),
    path("ledger/", views.ledger, name="ledger"),
    path("ledger/remit/", views.remit, name="remit"),
    path("ledger/allocate/", views.allocate, name="allocate"),
    path("ledger/spend/", views.spend, name="spend"),
    path("mine/", views.mine, name="mine"),
    path("members/<int:pk>/", views.member_dues, name="member"),
    path("members/<int:pk>/base/", views.base_create, name="base_create"),
    path("members/<int:pk>/payment/", views.payment_create, name="payment_create"),
    path("import/bases/", import_views.base_import, name="base_import"),
    path("import/bases/template/", import_views.base_template, name="base_template"),
    path("import/payments/", import_views.payment_import, name="payment_import"),
    path("import/payments/template/", import_views.payment_template, name="payment_template"),
    path("import/statement/", import_views.statement_import, name="statement_import"),
    path("import/statement/template/", import_views.statement_template, name="statement_template"),
]
