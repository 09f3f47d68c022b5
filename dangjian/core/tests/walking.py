"""Helpers for the tests that walk every page URL and API route (outsider, system roles)."""

import io
import re

from django.urls import URLPattern, URLResolver, get_resolver
from python_calamine import CalamineWorkbook

PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
OPENAPI_PARAM = re.compile(r"\{(\w+)\}")


def page_routes(resolver=None, prefix="", namespace=""):
    """(route, URL name) of every page, read from the resolver itself, so new pages are walked too."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from page_routes(entry, prefix + str(entry.pattern), entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and not (prefix + str(entry.pattern)).startswith("api/"):
            yield prefix + str(entry.pattern), f"{namespace}:{entry.name}"


def fill(route: str, value) -> str:
    return PARAM.sub(str(value), route)


def text_of(response) -> str:
    """What a response shows: its text, or the cells of an xlsx download."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        return "\n".join(
            str(cell)
            for name in book.sheet_names
            for row in book.get_sheet_by_name(name).to_python()
            for cell in row
        )
    return content.decode("utf-8", errors="replace")
