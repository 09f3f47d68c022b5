"""Pages of the org tree: list, detail with its timeline, the four writes, and the tree picker.

Every org is fetched through the user's scope (404 outside it); every write goes through
orgs/services.py, whose Chinese refusals are shown on the form.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from dangjian.accounts.roles import Role
from dangjian.core.access import CHANGE, get_visible_or_404, has_system_role, path_in_scope, scopes_for
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.forms import add_service_error
from dangjian.orgs import services
from dangjian.orgs.forms import OrgCreateForm, OrgDissolveForm, OrgEditForm, OrgFilterForm, OrgMoveForm
from dangjian.orgs.middleware import SESSION_KEY
from dangjian.orgs.models import Org, OrgStatus

PAGE_SIZE = 50
PICKER_LIMIT = 30


def require_party_role(user) -> None:
    """Org pages are for people holding a party role; system roles and strangers see none of it."""
    if not scopes_for(user):
        raise PermissionDenied("您没有党组织方面的角色,不能查看党组织数据。")


def visible_org(request, pk, action=None):
    require_party_role(request.user)
    if action is None:
        return get_visible_or_404(Org, request.user, pk=pk)
    return get_visible_or_404(Org, request.user, action, pk=pk)


def visible_ancestors(user, org):
    return [o for o in org.ancestors_and_self() if path_in_scope(user, o.path)]


def can_change(user, org) -> bool:
    return path_in_scope(user, org.path, CHANGE)


def can_change_parent(user, org) -> bool:
    return org.depth > 1 and path_in_scope(user, org.parent_path, CHANGE)


# --- reading --------------------------------------------------------------------------------------------


def filtered_orgs(user, within, form):
    orgs = Org.objects.visible_to(user).within(within)
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status") or OrgStatus.ACTIVE
    if status != "all":
        orgs = orgs.filter(status=status)
    if data.get("kind"):
        orgs = orgs.filter(kind=data["kind"])
    if data.get("sector"):
        orgs = orgs.filter(sector=data["sector"])
    if data.get("q"):
        orgs = orgs.filter(
            Q(name__contains=data["q"]) | Q(code=data["q"]) | Q(short_name__contains=data["q"])
        )
    return orgs.order_by(data.get("sort") or "path", "path")


@login_required
@require_GET
def org_list(request):
    require_party_role(request.user)
    within_id = request.GET.get("within")
    within = visible_org(request, within_id) if within_id else request.get_current_org()
    form = OrgFilterForm(request.GET or None)
    tree_order = request.GET.get("sort", "path") in ("", "path")
    page = Paginator(filtered_orgs(request.user, within, form), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orgs/list.html",
        {
            "within": within,
            "form": form,
            "page_obj": page,
            # Indented by level only in tree order, where the indentation means something.
            "rows": [(org, org.depth - within.depth if tree_order else 0) for org in page],
            "can_change_within": can_change(request.user, within),
        },
    )


@login_required
@require_GET
def org_detail(request, pk):
    org = visible_org(request, pk)
    children = Org.objects.visible_to(request.user).filter(path__startswith=org.path, depth=org.depth + 1)
    context = {
        "org": org,
        "ancestors": visible_ancestors(request.user, org),
        "children": children[:PAGE_SIZE],
        "child_count": children.count(),
        "subtree_count": Org.objects.visible_to(request.user).within(org).active().count()
        - (1 if org.is_active else 0),
        "events": org.events.select_related("recorded_by")[:200],
        "can_change": can_change(request.user, org) and org.is_active,
        "can_change_parent": can_change_parent(request.user, org) and org.is_active,
    }
    return render(request, "orgs/detail.html", context)


# --- writing --------------------------------------------------------------------------------------------


def run_service(request, form, call, field_map=None):
    """Call a service with the form's data; on refusal put its message on the form and return None."""
    try:
        return call(Actor.from_request(request))
    except ServiceError as error:
        add_service_error(form, error, field_map)
        return None


@login_required
def org_create_child(request, pk):
    parent = visible_org(request, pk, CHANGE)
    form = OrgCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        child = run_service(
            request, form, lambda actor: services.create_org(actor, parent=parent, **form.cleaned_data)
        )
        if child is not None:
            messages.success(request, f"已在“{parent.name}”下设立“{child.name}”。")
            return redirect("orgs:detail", pk=child.pk)
    return render(
        request,
        "orgs/form.html",
        {"org": parent, "form": form, "title": f"在“{parent.name}”下设立党组织", "submit": "设立"},
    )


@login_required
def org_edit(request, pk):
    org = visible_org(request, pk, CHANGE)
    initial = {f: getattr(org, f) for f in ("name", "short_name", "sector", "code", "founded_on")}
    form = OrgEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        occurred_on, document_number = data.pop("occurred_on"), data.pop("document_number")
        changed = {f: v for f, v in data.items() if v != initial[f]}
        if not changed:
            messages.info(request, "没有改动。")
            return redirect("orgs:detail", pk=org.pk)
        updated = run_service(
            request,
            form,
            lambda actor: services.update_org(
                actor, org, occurred_on=occurred_on, document_number=document_number, **changed
            ),
        )
        if updated is not None:
            messages.success(request, f"已保存“{updated.name}”的修改。")
            return redirect("orgs:detail", pk=org.pk)
    return render(
        request, "orgs/form.html", {"org": org, "form": form, "title": f"修改“{org.name}”", "submit": "保存"}
    )


def new_parent_for(request, form):
    """The org named by code, if the user may put orgs under it; the same message otherwise, revealing nothing."""
    code = form.cleaned_data["new_parent_code"].strip()
    parent = Org.objects.visible_to(request.user, CHANGE).filter(code=code).first()
    if parent is None:
        form.add_error("new_parent_code", f"未找到组织编码为“{code}”的党组织,或您无权在其下调整。")
    return parent


@login_required
def org_move(request, pk):
    org = visible_org(request, pk)
    form = OrgMoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        new_parent = new_parent_for(request, form)
        if new_parent is not None:
            data = form.cleaned_data
            moved = run_service(
                request,
                form,
                lambda actor: services.move_org(
                    actor,
                    org,
                    new_parent,
                    occurred_on=data["occurred_on"],
                    document_number=data["document_number"],
                ),
                {"parent": "new_parent_code"},
            )
            if moved is not None:
                messages.success(request, f"已将“{org.name}”及其下级调整到“{new_parent.name}”之下。")
                return redirect("orgs:detail", pk=org.pk)
    return render(
        request,
        "orgs/form.html",
        {
            "org": org,
            "form": form,
            "title": f"调整“{org.name}”的隶属关系",
            "submit": "调整",
            "org_picker": True,
        },
    )


@login_required
def org_dissolve(request, pk):
    org = visible_org(request, pk)
    form = OrgDissolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        dissolved = run_service(
            request,
            form,
            lambda actor: services.dissolve_org(
                actor,
                org,
                occurred_on=data["occurred_on"],
                document_number=data["document_number"],
                reason=data["reason"],
            ),
        )
        if dissolved is not None:
            messages.success(request, f"已撤销“{org.name}”。")
            return redirect("orgs:detail", pk=org.pk)
    return render(
        request,
        "orgs/form.html",
        {"org": org, "form": form, "title": f"撤销“{org.name}”", "submit": "撤销", "danger": True},
    )


# --- the tree picker ------------------------------------------------------------------------------------


def top_orgs(user):
    """The highest orgs of the user's scope: the roots of their tree."""
    paths = sorted({scope.path for scope in scopes_for(user)}, key=len)
    roots = [p for i, p in enumerate(paths) if not any(p.startswith(q) for q in paths[:i])]
    return Org.objects.filter(path__in=roots).order_by("path")


def expandable(user, org) -> bool:
    return org.numchild > 0 and any(s.subtree and org.path.startswith(s.path) for s in scopes_for(user))


@login_required
@require_GET
def tree_children(request):
    """One level of the tree (lazy: the picker asks for a node's children when it is opened), or a search."""
    require_party_role(request.user)
    query = request.GET.get("q", "").strip()
    if query:
        found = Org.objects.visible_to(request.user).active().filter(Q(name__contains=query) | Q(code=query))
        return render(request, "orgs/_tree_search.html", {"found": found[:PICKER_LIMIT], "query": query})
    parent_id = request.GET.get("parent")
    if parent_id:
        parent = visible_org(request, parent_id)
        nodes = (
            Org.objects.visible_to(request.user)
            .active()
            .filter(path__startswith=parent.path, depth=parent.depth + 1)
        )
    else:
        nodes = top_orgs(request.user)
    items = [(org, expandable(request.user, org)) for org in nodes]
    template = "orgs/_tree_level.html" if parent_id else "orgs/_tree.html"
    return render(request, template, {"items": items})


@login_required
@require_POST
def set_current(request, pk):
    org = visible_org(request, pk)
    request.session[SESSION_KEY] = org.pk
    messages.info(request, f"当前党组织已切换为“{org.name}”。")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or "orgs:list")


@login_required
@require_GET
def org_select(request):
    """Options for an org input's <datalist>: active orgs by name or code.

    The security administrator grants roles at orgs, so they may look orgs up by name and code
    here (nothing else about them); everyone else sees only the orgs in their scope.
    """
    query = request.GET.get("q", "").strip()
    if has_system_role(request.user, Role.SECURITY_ADMIN):
        orgs = Org.objects.active()
    else:
        require_party_role(request.user)
        orgs = Org.objects.visible_to(request.user).active()
    if query:
        orgs = orgs.filter(Q(name__contains=query) | Q(code__startswith=query))
    options = orgs.order_by("path").values("code", "name")[:20]
    return render(request, "orgs/_select_options.html", {"options": options})
