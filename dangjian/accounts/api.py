"""API tokens: issued for a username and password, listed and revoked by their owner."""

from datetime import datetime

from django.http import Http404
from ninja import Field, Query, Router, Schema

from dangjian.accounts import services
from dangjian.accounts.models import ApiToken
from dangjian.core.api import ApiError, Page, PageParams, paginate
from dangjian.core.audit import Actor

router = Router(tags=["令牌"])


class TokenRequest(Schema):
    username: str = Field(description="用户名")
    password: str = Field(description="密码")
    name: str = Field("", max_length=100, description="令牌用途,便于日后辨认(可选)")


class TokenIssued(Schema):
    token: str = Field(description="令牌,只显示这一次;请求时放在 Authorization: Bearer 之后")
    expires_at: datetime


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@router.post("/token", auth=None, response=TokenIssued, summary="用用户名和密码换取令牌")
def issue_token(request, credentials: TokenRequest):
    # The same login check as the login page, so failures count towards the same lockout.
    result = services.check_login(
        credentials.username,
        credentials.password,
        client_ip=getattr(request, "client_ip", ""),
        request_id=getattr(request, "request_id", ""),
        via="api",
    )
    if result.user is None:
        raise ApiError(401, "login_failed", result.message)
    request.user = result.user
    token, raw = services.issue_token(Actor.from_request(request, via="api"), name=credentials.name)
    return {"token": raw, "expires_at": token.expires_at}


@router.get("/tokens", response=Page[TokenOut], summary="我的令牌")
def list_tokens(request, page: Query[PageParams]):
    return paginate(request, ApiToken.objects.filter(user=request.user).order_by("-created_at", "-pk"), page)


@router.delete("/tokens/{token_id}", response=TokenOut, summary="吊销我的一个令牌")
def revoke_token(request, token_id: int):
    # Someone else's token is simply not found: its id tells the caller nothing.
    token = ApiToken.objects.filter(user=request.user, pk=token_id).first()
    if token is None:
        raise Http404
    return services.revoke_token(Actor.from_request(request, via="api"), token)
