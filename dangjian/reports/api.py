"""The reports API routes, mounted at /api/v1/reports/ in dangjian/api.py."""

from ninja import Router

router = Router(tags=["统计分析"])
