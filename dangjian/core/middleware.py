"""Request id and client address, attached to the request for the audit log."""

import uuid


def client_ip(request) -> str:
    # Behind the one reverse proxy of a deployment, REMOTE_ADDR is the proxy; the proxy
    # sets X-Real-IP. We trust only that single header, never a client-built chain.
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR") or ""


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request.META.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
        request.client_ip = client_ip(request)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response
