"""Pages of committees and terms (班子与任期) and of party groups (党小组).

Every object is fetched through the user's scope (404 outside it); writes go through orgs/services.py.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dangjian.core.access import CHANGE, get_visible_or_404, subtree_q
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.exporting import Sheet, xlsx_response
from dangjian.orgs import rules, services
from dangjian.orgs.forms import (
    AppointmentForm,
    CommitteeMemberEndForm,
    CommitteeMemberForm,
    ElectionForm,
    GroupDissolveForm,
    GroupForm,
    GroupMemberForm,
    TermAdjustForm,
    TermFilterForm,
    person_text,
    split_person,
)
from dangjian.orgs.models import Committee, CommitteeMember, Group, GroupMember, Org, OrgEventKind, OrgKind
from dangjian.orgs.views import (
    can_change,
    can_change_parent,
    form_page,
    page_of,
    require_party_role,
    visible_org,
    within_org,
)


def detail_url(org) -> str:
    return reverse("orgs:committee", args=[org.pk])


def picker(org) -> dict:
    """Context for the member picker of a form about ``org``'s committee or groups."""
    return {"member_picker": org, "member_subtree": org.kind in services.SUBTREE_ROLL_KINDS}


SEAT_FIELDS = {"post": "secretary", "name": "secretary", "member_id": "secretary"}


# --- the committee of an org ----------------------------------------------------------------------------


@login_required
@require_GET
def committee_page(request, pk):
    """An org's current committee with its post holders, the earlier committees, and the term's findings."""
    org = visible_org(request, pk)
    committees = list(Committee.objects.filter(org=org).prefetch_related("members"))
    current = next((c for c in committees if c.is_current), None)
    today = timezone.localdate()
    return render(
        request,
        "orgs/committee.html",
        {
            "org": org,
            "current": current,
            "holders": [m for m in current.members.all() if m.ended_on is None] if current else [],
            "former": [m for m in current.members.all() if m.ended_on is not None] if current else [],
            "history": [c for c in committees if not c.is_current],
            "findings": [f.finding for f in rules.findings_for([org], today)],
            "can_elect": can_change(request.user, org) and org.is_active and not org.is_temporary,
            "can_appoint": can_change_parent(request.user, org) and org.is_active and org.is_temporary,
            "can_change": can_change(request.user, org) and org.is_active,
            "can_adjust_term": can_change_parent(request.user, org)
            and org.is_active
            and not org.is_temporary,
            "term_adjustments": org.events.filter(kind=OrgEventKind.TERM_ADJUSTED)[:10],
            "term_years": rules.term_years(org.kind, org.sector, today),
        },
    )


@login_required
def committee_elect(request, pk):
    org = visible_org(request, pk, CHANGE)
    form = ElectionForm(request.POST or None)

    def call(actor, data):
        return services.elect_committee(
            actor,
            org,
            elected_on=data["elected_on"],
            members=form.members(),
            number=data["number"],
            seats=data["seats"],
            ends_on=data["ends_on"],
            document_number=data["document_number"],
            note=data["note"],
        )

    return form_page(
        request,
        form,
        call,
        org=org,
        title=f"“{org.name}”换届选举",
        submit="登记选举结果",
        back_url=detail_url(org),
        done=lambda c: (
            f"已登记“{org.name}”的换届选举,任期至{rules.cn(c.ends_on) if c.ends_on else '—'}。",
            detail_url(org),
        ),
        field_map=SEAT_FIELDS,
        **picker(org),
    )


@login_required
def committee_appoint(request, pk):
    org = visible_org(request, pk)
    form = AppointmentForm(request.POST or None)

    def call(actor, data):
        return services.appoint_committee(
            actor,
            org,
            appointed_on=data["appointed_on"],
            members=form.members(),
            document_number=data["document_number"],
            note=data["note"],
        )

    return form_page(
        request,
        form,
        call,
        org=org,
        title=f"指定“{org.name}”负责人",
        submit="登记",
        back_url=detail_url(org),
        done=lambda _: (f"已登记“{org.name}”的负责人。", detail_url(org)),
        field_map=SEAT_FIELDS,
        **picker(org),
    )


@login_required
def committee_member_add(request, pk):
    require_party_role(request.user)
    committee = get_visible_or_404(Committee.objects.select_related("org"), request.user, CHANGE, pk=pk)
    org = committee.org
    form = CommitteeMemberForm(request.POST or None)

    def call(actor, data):
        return services.add_committee_member(actor, committee, **{**data, **split_person(data["name"])})

    return form_page(
        request,
        form,
        call,
        org=org,
        title=f"“{org.name}”补选班子成员",
        back_url=detail_url(org),
        done=lambda m: (f"已登记{m.get_post_display()}{m.name}。", detail_url(org)),
        field_map={"member_id": "name"},
        **picker(org),
    )


@login_required
def committee_term(request, pk):
    """Extend or advance the current term (延期或提前换届), as approved by the org above."""
    require_party_role(request.user)
    committee = get_visible_or_404(Committee.objects.select_related("org"), request.user, pk=pk)
    org = committee.org
    form = TermAdjustForm(request.POST or None, initial={"ends_on": committee.ends_on})
    return form_page(
        request,
        form,
        lambda actor, data: services.adjust_term(actor, committee, **data),
        org=org,
        title=f"调整“{org.name}”本届班子任期",
        submit="登记",
        back_url=detail_url(org),
        done=lambda c: (f"已将“{org.name}”本届任期调整为至{rules.cn(c.ends_on)}届满。", detail_url(org)),
    )


@login_required
def committee_member_end(request, pk):
    require_party_role(request.user)
    holder = get_visible_or_404(
        CommitteeMember.objects.select_related("committee__org"), request.user, CHANGE, pk=pk
    )
    org = holder.committee.org
    form = CommitteeMemberEndForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda actor, data: services.end_committee_member(actor, holder, **data),
        org=org,
        title=f"{holder.get_post_display()}{holder.name}离任",
        back_url=detail_url(org),
        done=lambda m: (f"已登记{m.name}离任,该职务出缺待补选。", detail_url(org)),
    )


# --- terms across a subtree -----------------------------------------------------------------------------

ELECTING_KINDS = [k for k in OrgKind if k != OrgKind.TEMPORARY_BRANCH]


def filtered_terms(request):
    """Active orgs of the subtree that elect committees, with their current committee (or none)."""
    within = within_org(request)
    form = TermFilterForm(request.GET or None)
    status = form.cleaned_data.get("status") if form.is_valid() else ""
    today = timezone.localdate()
    orgs = (
        Org.objects.visible_to(request.user)
        .filter(subtree_q("path", within.path))
        .active()
        .filter(kind__in=ELECTING_KINDS)
    )
    current = Committee.objects.current()
    if status == "none":
        orgs = orgs.exclude(pk__in=current.values("org_id"))
    elif status == "overdue":
        orgs = orgs.filter(pk__in=current.filter(ends_on__lt=today).values("org_id"))
    elif status == "ending":
        soon = rules.add_months(today, rules.remind_months())
        orgs = orgs.filter(pk__in=current.filter(ends_on__gte=today, ends_on__lte=soon).values("org_id"))
    return within, form, orgs.order_by("path")


def with_committees(orgs) -> list[tuple[Org, Committee | None]]:
    committees = {c.org_id: c for c in Committee.objects.current().filter(org__in=[o.pk for o in orgs])}
    secretaries = dict(
        CommitteeMember.objects.current()
        .filter(committee__in=committees.values(), post="secretary")
        .values_list("committee__org_id", "name")
    )
    return [(org, committees.get(org.pk), secretaries.get(org.pk, "")) for org in orgs]


@login_required
@require_GET
def term_list(request):
    within, form, orgs = filtered_terms(request)
    page = page_of(request, orgs)
    return render(
        request,
        "orgs/term_list.html",
        {
            "within": within,
            "form": form,
            "page_obj": page,
            "rows": with_committees(list(page)),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_GET
def term_export(request):
    within, _, orgs = filtered_terms(request)
    headers = ["党组织", "组织编码", "类别", "届次", "书记", "任期开始", "任期届满", "产生方式"]
    rows = [
        [
            org.name,
            org.code,
            org.get_kind_display(),
            committee.number if committee else "",
            secretary,
            committee.started_on if committee else None,
            committee.ends_on if committee else None,
            committee.get_origin_display() if committee else "未登记",
        ]
        for org, committee, secretary in with_committees(list(orgs))
    ]
    return xlsx_response(
        f"{within.name}_班子任期_{timezone.localdate():%Y%m%d}.xlsx", [Sheet("班子任期", headers, rows)]
    )


# --- party groups ---------------------------------------------------------------------------------------


def group_url(group) -> str:
    return reverse("orgs:group_detail", args=[group.pk])


def visible_group(request, pk, action=None):
    require_party_role(request.user)
    queryset = Group.objects.select_related("org")
    if action is None:
        return get_visible_or_404(queryset, request.user, pk=pk)
    return get_visible_or_404(queryset, request.user, action, pk=pk)


@login_required
def group_create(request, pk):
    org = visible_org(request, pk, CHANGE)
    form = GroupForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda actor, data: services.create_group(actor, org, **group_fields(data)),
        org=org,
        title=f"在“{org.name}”设立党小组",
        submit="设立",
        done=lambda g: (f"已设立党小组“{g.name}”。", group_url(g)),
        field_map={"leader_id": "leader_name"},
        **picker(org),
    )


def group_fields(data: dict) -> dict:
    """The form's 组长 text as the service's leader name and member record number."""
    leader = split_person(data.get("leader_name", ""))
    return {**data, "leader_name": leader["name"], "leader_id": leader["member_id"]}


@login_required
@require_GET
def group_detail(request, pk):
    group = visible_group(request, pk)
    members = group.members.all()
    return render(
        request,
        "orgs/group_detail.html",
        {
            "group": group,
            "org": group.org,
            "members": [m for m in members if m.left_on is None],
            "former": [m for m in members if m.left_on is not None],
            "form": GroupMemberForm(),
            "can_change": can_change(request.user, group.org) and group.is_active,
        },
    )


@login_required
def group_edit(request, pk):
    group = visible_group(request, pk, CHANGE)
    initial = {
        "name": group.name,
        "leader_name": person_text(group.leader_name, group.leader_id),
        "note": group.note,
    }
    form = GroupForm(request.POST or None, initial=initial)
    return form_page(
        request,
        form,
        lambda actor, data: services.update_group(actor, group, **group_fields(data)),
        org=group.org,
        title=f"修改党小组“{group.name}”",
        back_url=group_url(group),
        done=lambda g: (f"已保存党小组“{g.name}”。", group_url(g)),
        field_map={"leader_id": "leader_name"},
        **picker(group.org),
    )


@login_required
def group_dissolve(request, pk):
    """End a group on a date with its reason (it is kept, never deleted)."""
    group = visible_group(request, pk, CHANGE)
    form = GroupDissolveForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda actor, data: services.dissolve_group(actor, group, **data),
        org=group.org,
        title=f"撤销党小组“{group.name}”",
        submit="撤销",
        danger=True,
        back_url=group_url(group),
        done=lambda g: (f"已撤销党小组“{g.name}”。", reverse("orgs:detail", args=[g.org_id])),
    )


@login_required
def group_member_add(request, pk):
    group = visible_group(request, pk, CHANGE)
    form = GroupMemberForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda actor, data: services.add_group_member(actor, group, **{**data, **split_person(data["name"])}),
        org=group.org,
        title=f"编入党小组“{group.name}”",
        back_url=group_url(group),
        done=lambda m: (f"已将{m.name}编入“{group.name}”。", group_url(group)),
        field_map={"member_id": "name"},
        **picker(group.org),
    )


@login_required
@require_POST
def group_member_remove(request, pk):
    require_party_role(request.user)
    member = get_visible_or_404(GroupMember.objects.select_related("group"), request.user, CHANGE, pk=pk)
    try:
        services.remove_group_member(Actor.from_request(request), member)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"已将{member.name}调出党小组。")
    return redirect(group_url(member.group))
