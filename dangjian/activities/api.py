"""The activities API routes, mounted at /api/v1/activities/ in dangjian/api.py."""

from ninja import Router

router = Router(tags=["组织生活"])
