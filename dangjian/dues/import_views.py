"""Upload pages and empty templates of the dues imports; previews and commits are the framework's pages."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.core.import_views import template_download, upload
from dangjian.dues.importers import BankStatementImporter, DuesBaseImporter, DuesPaymentImporter

BASES = DuesBaseImporter()
PAYMENTS = DuesPaymentImporter()
STATEMENT = BankStatementImporter()


@login_required
@require_http_methods(["GET", "POST"])
def base_import(request):
    return upload(request, BASES)


@login_required
@require_GET
def base_template(request):
    return template_download(BASES)


@login_required
@require_http_methods(["GET", "POST"])
def payment_import(request):
    return upload(request, PAYMENTS)


@login_required
@require_GET
def payment_template(request):
    return template_download(PAYMENTS)


@login_required
@require_http_methods(["GET", "POST"])
def statement_import(request):
    return upload(request, STATEMENT)


@login_required
@require_GET
def statement_template(request):
    return template_download(STATEMENT)
