"""The REST API at /api/v1/: one NinjaAPI with a router per app.

Bearer tokens everywhere except where a route says ``auth=None`` (issuing a token). The docs page
uses the Swagger UI files django-ninja ships in its own static folder (``ninja`` is in
INSTALLED_APPS), so it works on an intranet without internet; the online spec validator is off
for the same reason.
"""

from ninja import NinjaAPI, Swagger

from dangjian.accounts.api import router as accounts_router
from dangjian.activities.api import router as activities_router
from dangjian.core.api import ApiRenderer, BearerToken, audit_router, imports_router, install_error_handlers
from dangjian.dues.api import router as dues_router
from dangjian.members.api import router as members_router
from dangjian.members.api import transfers_router
from dangjian.orgs.api import router as orgs_router
from dangjian.orgs.building_api import router as org_building_router
from dangjian.recruitment.api import router as recruitment_router
from dangjian.reports.api import router as reports_router

api = NinjaAPI(
    title="党建云 API",
    version="1.0.0",
    description=(
        "先用 POST /api/v1/auth/token 以用户名和密码换取令牌,之后每个请求带上 "
        "`Authorization: Bearer <令牌>`。列表返回 {count, items, next};"
        "错误返回 {code, message, details}。"
    ),
    urls_namespace="api",
    auth=BearerToken(),
    renderer=ApiRenderer(),
    docs=Swagger(settings={"validatorUrl": None}),
)
install_error_handlers(api)

api.add_router("/auth", accounts_router)
# Before the org tree's router: its /orgs/{org_id} would otherwise take /orgs/events, /orgs/units …
api.add_router("/orgs", org_building_router)
api.add_router("/orgs", orgs_router)
api.add_router("/audit", audit_router)
api.add_router("/members", members_router)
api.add_router("/transfers", transfers_router)
api.add_router("/imports", imports_router)
api.add_router("/recruitment", recruitment_router)
api.add_router("/activities", activities_router)
api.add_router("/dues", dues_router)
# The indicator registry lives at /api/v1/indicators (issue 8).
api.add_router("", reports_router)
