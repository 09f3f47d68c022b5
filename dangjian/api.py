"""The REST API at /api/v1/: one NinjaAPI with a router per app."""

from ninja import NinjaAPI

api = NinjaAPI(title="党建云 API", version="1.0.0", urls_namespace="api")
