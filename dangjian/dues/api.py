"""The dues API routes, mounted at /api/v1/dues/ in dangjian/api.py."""

from ninja import Router

router = Router(tags=["党费"])
