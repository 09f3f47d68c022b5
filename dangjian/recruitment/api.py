"""The recruitment API routes, mounted at /api/v1/recruitment/ in dangjian/api.py."""

from ninja import Router

router = Router(tags=["发展党员"])
