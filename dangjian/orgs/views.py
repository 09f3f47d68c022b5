"""Pages of the org tree: list, detail with its timeline, the writes (found, change, move, merge,
dissolve, correct an event), the event list with its figures, the 组织建设提醒 page, and the tree picker.

Every org is fetched through the user's scope (404 outside it); every write goes through
orgs/services.py, whose Chinese refusals are shown on the form. The other pages of the org module
(committees, units, pairings, places, weak-and-lax flags) are in the ``*_views`` modules beside this
one and use the helpers of the "shared by the org module's pages" section.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from dangjian.accounts.roles import Role
from dangjian.core.access import (
    CHANGE,
    get_visible_or_404,
    has_system_role,
    path_in_scope,
    scopes_for,
    subtree_q,
)
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.exporting import Sheet, xlsx_response
from dangjian.core.forms import add_service_error
from dangjian.core.rules import Level
from dangjian.orgs import figures, rules, services
from dangjian.orgs.forms import (
    EventCorrectForm,
    EventFilterForm,
    FigureFilterForm,
    FindingFilterForm,
    OrgCreateForm,
    OrgDissolveForm,
    OrgEditForm,
    OrgFilterForm,
    OrgMergeForm,
    OrgMoveForm,
)
from dangjian.orgs.middleware import SESSION_KEY
from dangjian.orgs.models import Committee, Group, Org, OrgEvent, OrgStatus, Place, Unit, WeakFlag

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
        "events": org.events.select_related("recorded_by", "corrects")[:200],
        "can_change": can_change(request.user, org) and org.is_active,
        "can_change_parent": can_change_parent(request.user, org) and org.is_active,
        **org_building(request.user, org),
    }
    return render(request, "orgs/detail.html", context)


def org_building(user, org) -> dict:
    """The org-building side of an org's page: committee, groups, units, places, flags, findings, figures."""
    today = timezone.localdate()
    period = figures.Period.year_to_date(today)
    committee = Committee.objects.current().filter(org=org).first()
    return {
        "committee": committee,
        "holders": committee.members.filter(ended_on__isnull=True).order_by("pk") if committee else [],
        "groups": Group.objects.filter(org=org, dissolved_on__isnull=True),
        "unit_count": Unit.objects.visible_to(user)
        .filter(Q(org=org) | Q(responsible_org=org))
        .open()
        .count(),
        "place_count": Place.objects.filter(org=org, closed_on__isnull=True).count(),
        "open_flags": WeakFlag.objects.filter(org=org, closed_on__isnull=True),
        "findings": [f.finding for f in rules.findings_for([org], today)],
        "member_counts_available": rules.member_counts_available(),
        "period": period,
        "event_counts": figures.event_counts(figures.events_in(user, org, period)),
    }


# --- shared by the org module's pages -------------------------------------------------------------------


def run_service(request, form, call, field_map=None):
    """Call a service with the form's data; on refusal put its message on the form and return None."""
    try:
        return call(Actor.from_request(request))
    except ServiceError as error:
        add_service_error(form, error, field_map)
        return None


def form_page(request, form, call, *, title, done, org=None, back_url=None, submit="保存", **extra):
    """A page with one form whose POST calls one service.

    ``call(actor, data)`` does the write; ``done(result)`` answers the success message and the URL to go
    to. A refusal is shown on the form, next to the field it names.
    """
    if request.method == "POST" and form.is_valid():
        result = run_service(
            request, form, lambda actor: call(actor, form.cleaned_data), extra.pop("field_map", None)
        )
        if result is not None:
            message, url = done(result)
            messages.success(request, message)
            return redirect(url)
    context = {"org": org, "form": form, "title": title, "submit": submit, "back_url": back_url, **extra}
    return render(request, "orgs/form.html", context)


def within_org(request):
    """The subtree a list covers: ``?within=`` (in scope, else 404) or the current org."""
    require_party_role(request.user)
    within_id = request.GET.get("within")
    org = visible_org(request, within_id) if within_id else request.get_current_org()
    if org is None:
        raise Http404("没有可查看的党组织。")
    return org


def org_by_code(request, form, field: str, action=CHANGE, required=True):
    """The org named by code in ``form``'s field, among those the user may change; the same message for
    a code that does not exist and one outside the scope."""
    code = (form.cleaned_data.get(field) or "").strip()
    if not code:
        if required:
            form.add_error(field, "请填写组织编码。")
        return None
    org = Org.objects.visible_to(request.user, action).filter(code=code).first()
    if org is None:
        form.add_error(field, f"未找到组织编码为“{code}”的党组织,或您无权在其下办理。")
    return org


def period_of(form) -> figures.Period:
    data = form.cleaned_data if form.is_valid() else {}
    return figures.Period(data.get("date_from"), data.get("date_to"))


def page_of(request, items, size=PAGE_SIZE):
    return Paginator(items, size).get_page(request.GET.get("page"))


# --- writing --------------------------------------------------------------------------------------------


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


@login_required
def org_merge(request, pk):
    org = visible_org(request, pk)
    form = OrgMergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        into = org_by_code(request, form, "into_code")
        if into is not None:
            data = form.cleaned_data
            merged = run_service(
                request,
                form,
                lambda actor: services.merge_org(
                    actor,
                    org,
                    into,
                    occurred_on=data["occurred_on"],
                    document_number=data["document_number"],
                    note=data["note"],
                ),
                {"into": "into_code"},
            )
            if merged is not None:
                messages.success(request, f"已将“{org.name}”并入“{into.name}”。")
                return redirect("orgs:detail", pk=into.pk)
    return render(
        request,
        "orgs/form.html",
        {
            "org": org,
            "form": form,
            "title": f"将“{org.name}”并入其他党组织",
            "submit": "合并",
            "danger": True,
            "org_picker": True,
        },
    )


@login_required
def event_correct(request, pk):
    require_party_role(request.user)
    event = get_visible_or_404(OrgEvent.objects.select_related("org"), request.user, CHANGE, pk=pk)
    initial = {"occurred_on": event.occurred_on, "document_number": event.document_number, "note": event.note}
    form = EventCorrectForm(request.POST or None, initial=initial)

    def call(actor, data):
        changes = {
            name: data[name] for name in initial if data[name] not in (None,) and data[name] != initial[name]
        }
        return services.correct_event(actor, event, reason=data["reason"], **changes)

    return form_page(
        request,
        form,
        call,
        org=event.org,
        title=f"更正“{event.org.name}” {event.occurred_on:%Y-%m-%d} 的{event.get_kind_display()}事项",
        submit="登记更正",
        done=lambda _: ("已登记更正。", reverse("orgs:detail", args=[event.org_id])),
    )


# --- events and their figures ---------------------------------------------------------------------------


def filtered_events(request):
    within = within_org(request)
    form = EventFilterForm(request.GET or None)
    events = figures.events_in(request.user, within, period_of(form))
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("kind"):
        events = events.filter(kind=data["kind"])
    if data.get("indicator"):
        events = events.filter(figures.INDICATORS_BY_KEY[data["indicator"]].q)
    return (
        within,
        form,
        events.select_related("org", "recorded_by").order_by("-occurred_on", "-recorded_at", "-pk"),
    )


@login_required
@require_GET
def event_list(request):
    within, form, events = filtered_events(request)
    return render(
        request,
        "orgs/event_list.html",
        {
            "within": within,
            "form": form,
            "page_obj": page_of(request, events),
            "counts": figures.event_counts(events),
        },
    )


def event_row(event) -> list:
    return [
        event.org.name,
        event.org.code,
        event.get_kind_display(),
        event.occurred_on,
        event.document_number,
        event_summary(event),
        event.note,
        timezone.localtime(event.recorded_at),
    ]


def event_summary(event) -> str:
    """The details of an event in one line of Chinese (for the export)."""
    details = event.details or {}
    if "from" in details and "to" in details:
        return f"{details['from']} → {details['to']}"
    if "into" in details:
        return f"并入“{details['into']}”"
    if "members" in details:
        return "、".join(details["members"])
    if "action" in details and "name" in details:
        return f"{details.get('post', '')} {details['name']}"
    return ""


@login_required
@require_GET
def event_export(request):
    within, _, events = filtered_events(request)
    headers = ["党组织", "组织编码", "事项", "发生日期", "文号", "详情", "说明", "登记时间"]
    rows = (event_row(e) for e in events.iterator(chunk_size=2000))
    return xlsx_response(
        f"{within.name}_组织事项_{timezone.localdate():%Y%m%d}.xlsx", [Sheet("组织事项", headers, rows)]
    )


@login_required
@require_GET
def figure_page(request):
    """组织工作统计: the year-end figures of org building for a subtree and period, each linked to its list."""
    within = within_org(request)
    today = timezone.localdate()
    form = FigureFilterForm(request.GET or None)
    period = (
        period_of(form)
        if request.GET.get("from") or request.GET.get("to")
        else figures.Period.year_to_date(today)
    )
    context = {
        "within": within,
        "form": form,
        "period": period,
        "event_counts": figures.event_counts(figures.events_in(request.user, within, period)),
        "coverage": figures.coverage_by_sector(request.user, within),
        "new_sector": figures.new_sector_measures(request.user, within),
        "places": figures.place_counts(request.user, within),
        "pairing": figures.pairing_figures(request.user, within, period),
        "weak": figures.weak_figures(request.user, within, period),
    }
    return render(request, "orgs/figures.html", context)


# --- 组织建设提醒 -------------------------------------------------------------------------------------------

FINDINGS_PER_PAGE = 100


@login_required
@require_GET
def finding_list(request):
    """Every finding of the org rules in the subtree, filterable by level and rule, with counts."""
    within = within_org(request)
    form = FindingFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    orgs = Org.objects.visible_to(request.user).filter(subtree_q("path", within.path)).active()
    found = rules.findings_for(orgs, timezone.localdate())
    by_level = {level: sum(1 for f in found if f.finding.level == level) for level in Level}
    by_rule = {}
    for item in found:
        by_rule[item.finding.rule_id] = by_rule.get(item.finding.rule_id, 0) + 1
    shown = [
        f
        for f in found
        if (not data.get("level") or f.finding.level == data["level"])
        and (not data.get("rule") or f.finding.rule_id == data["rule"])
    ]
    return render(
        request,
        "orgs/findings.html",
        {
            "within": within,
            "form": form,
            "total": len(found),
            "by_level": [(level, n) for level, n in by_level.items()],
            "by_rule": sorted(
                ((rule, rules.RULE_LABELS.get(rule, rule), n) for rule, n in by_rule.items()),
                key=lambda r: -r[2],
            ),
            "page_obj": page_of(request, shown, FINDINGS_PER_PAGE),
            "member_counts_available": rules.member_counts_available(),
        },
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
