"""Account pages: logging in and out, one's own password and API tokens, and the two system tools.

The system administrator manages logins (never party data, never roles); the security
administrator grants and ends roles. Every write goes through ``accounts.services``, which
checks the role again and writes the audit entry.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts import services
from dangjian.accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    RoleFilterForm,
    RoleGrantForm,
    TokenForm,
    UserCreateForm,
    UserSearchForm,
)
from dangjian.accounts.models import ApiToken, RoleAssignment, User
from dangjian.accounts.roles import Role
from dangjian.core.access import has_system_role
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.forms import add_service_error
from dangjian.core.templatetags.cn import cn_date

PER_PAGE = 25
# The services name the password field "password"; the pages ask for it twice as "new_password".
PASSWORD_FIELDS = {"password": "new_password"}


def system_role_required(role: Role):
    """Only holders of one system role may open the page: anonymous users log in, everyone else gets 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_system_role(request.user, role):
                raise PermissionDenied(f"只有{role.label}可以访问此页面。")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def page_of(request, queryset):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


# --- logging in and out ---------------------------------------------------------------------------------


def safe_next(request) -> str:
    """The page to return to after logging in: only a path on this site, never another host."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    is_local_path = target.startswith("/") and not target.startswith(("//", "/\\"))
    if is_local_path and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("core:home")


def login_message(result: services.LoginResult) -> str:
    """The service's refusal; for a locked account also the time the lock ends."""
    if result.locked_until is None:
        return result.message
    return f"{result.message}解锁时间:{cn_date(result.locked_until)}。"


@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.check_login(
            form.cleaned_data["username"],
            form.cleaned_data["password"],
            client_ip=getattr(request, "client_ip", ""),
            request_id=getattr(request, "request_id", ""),
        )
        if result.user is not None:
            auth_login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(safe_next(request))
        form.add_error(None, login_message(result))
    return render(request, "accounts/login.html", {"form": form, "next": safe_next(request)})


@require_POST
def logout_view(request):
    auth_logout(request)
    # Added after logout, so it lands in the new, anonymous session and shows on the login page.
    messages.info(request, "您已退出。")
    return redirect("accounts:login")


# --- one's own account ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.change_own_password(
                Actor.from_request(request),
                form.cleaned_data["old_password"],
                form.cleaned_data["new_password"],
            )
        except ServiceError as error:
            add_service_error(form, error, PASSWORD_FIELDS)
        else:
            # A new password ends the user's other sessions, but keeps this one.
            update_session_auth_hash(request, user)
            messages.success(request, "密码已修改。")
            return redirect("accounts:password_change")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    """The user's own tokens; a POST issues one and shows it on this response only."""
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        token, raw = services.issue_token(Actor.from_request(request), name=form.cleaned_data["name"])
        # Rendered rather than redirected: the raw token must not be kept anywhere, not even in the session.
        issued = {"token": token, "raw": raw}
        form = TokenForm()
    own = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-pk")
    return render(request, "accounts/tokens.html", {"form": form, "tokens": own, "issued": issued})


@login_required
@require_POST
def token_revoke(request, pk):
    # Someone else's token is simply not found: its id tells nothing.
    token = ApiToken.objects.filter(user=request.user, pk=pk).first()
    if token is None:
        raise Http404("未找到该令牌。")
    services.revoke_token(Actor.from_request(request), token)
    messages.success(request, f"令牌 {token.prefix}… 已吊销。")
    return redirect("accounts:tokens")


# --- users (system administrator) -----------------------------------------------------------------------


@system_role_required(Role.SYSTEM_ADMIN)
@require_GET
def user_list(request):
    form = UserSearchForm(request.GET or None)
    users = User.objects.order_by("username", "pk")
    if form.is_valid() and form.cleaned_data["q"]:
        q = form.cleaned_data["q"].strip()
        users = users.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    return render(request, "accounts/user_list.html", {"form": form, "page_obj": page_of(request, users)})


@system_role_required(Role.SYSTEM_ADMIN)
@require_http_methods(["GET", "POST"])
def user_create(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.create_user(
                Actor.from_request(request),
                username=form.cleaned_data["username"],
                password=form.cleaned_data["new_password"],
                display_name=form.cleaned_data["display_name"],
            )
        except ServiceError as error:
            add_service_error(form, error, PASSWORD_FIELDS)
        else:
            messages.success(request, f"已新建用户“{user.username}”。")
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_create.html", {"form": form})


def change_user(request, user, action: str, reset_form) -> str | None:
    """Run one of the detail page's actions: the success message, or None when the reset form has errors."""
    actor = Actor.from_request(request)
    if action == "reset_password":
        if not reset_form.is_valid():
            return None
        try:
            services.reset_password(actor, user, reset_form.cleaned_data["new_password"])
        except ServiceError as error:
            add_service_error(reset_form, error, PASSWORD_FIELDS)
            return None
        return "密码已重置,请将新密码告知本人。"
    if action == "enable":
        services.set_user_active(actor, user, True)
        return "账号已启用。"
    if action == "disable":
        services.set_user_active(actor, user, False)
        return "账号已停用。"
    if action == "unlock":
        services.unlock_user(actor, user)
        return "账号已解锁。"
    raise ServiceError("未知的操作。")


@system_role_required(Role.SYSTEM_ADMIN)
@require_http_methods(["GET", "POST"])
def user_detail(request, pk):
    user = get_object_or_404(User, pk=pk)
    action = request.POST.get("action", "")
    reset_form = PasswordResetForm(request.POST if action == "reset_password" else None)
    if request.method == "POST":
        try:
            done = change_user(request, user, action, reset_form)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("accounts:user_detail", pk=user.pk)
        if done:
            messages.success(request, done)
            return redirect("accounts:user_detail", pk=user.pk)
    return render(
        request,
        "accounts/user_detail.html",
        {"account": user, "reset_form": reset_form, "is_self": user.pk == request.user.pk},
    )


# --- role assignments (security administrator) ----------------------------------------------------------


@system_role_required(Role.SECURITY_ADMIN)
@require_GET
def role_list(request):
    form = RoleFilterForm(request.GET or None)
    assignments = RoleAssignment.objects.select_related("user", "org", "granted_by").order_by(
        "-granted_at", "-pk"
    )
    filters = form.cleaned_data if form.is_valid() else {}
    if not filters.get("ended"):
        assignments = assignments.active()
    if filters.get("role"):
        assignments = assignments.filter(role=filters["role"])
    if filters.get("username"):
        assignments = assignments.filter(user__username__icontains=filters["username"].strip())
    return render(
        request, "accounts/role_list.html", {"form": form, "page_obj": page_of(request, assignments)}
    )


@system_role_required(Role.SECURITY_ADMIN)
@require_http_methods(["GET", "POST"])
def role_grant(request):
    form = RoleGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            assignment = services.grant_role(
                Actor.from_request(request),
                user=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
                org=form.cleaned_data["org_code"],
            )
        except ServiceError as error:
            add_service_error(form, error, {"org": "org_code", "user": "username"})
        else:
            messages.success(request, f"已授予:{assignment}。")
            return redirect("accounts:role_list")
    return render(request, "accounts/role_grant.html", {"form": form})


@system_role_required(Role.SECURITY_ADMIN)
@require_POST
def role_end(request, pk):
    assignment = get_object_or_404(RoleAssignment.objects.select_related("user", "org"), pk=pk)
    try:
        services.end_role(Actor.from_request(request), assignment)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"已终止:{assignment}。")
    return redirect("accounts:role_list")
