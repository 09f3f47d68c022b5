"""Activity pages: the list and calendar, recording an activity and its attendance, the QR code, compliance
of a subtree, back-filling unlocks, study hours, training classes, figures, and the member's phone page.

Every object is fetched through the user's scope (404 outside it); every write goes through services.py.
"""

import io
from datetime import date, timedelta

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.activities import forms, queries, rules, services
from dangjian.activities.importers import ActivityImporter
from dangjian.activities.models import (
    Activity,
    ActivityAttachment,
    ActivityKind,
    ActivityStatus,
    Attendance,
    AttendanceStatus,
    BackfillUnlock,
    ComplianceRule,
    KindCategory,
    Trainee,
    TrainingClass,
)
from dangjian.core.access import CHANGE, get_visible_or_404, path_in_scope, scopes_for, subtree_q
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.forms import add_service_error
from dangjian.core.import_views import template_download, upload
from dangjian.members.models import PARTY_MEMBER_CATEGORIES, Member
from dangjian.members.services import member_of
from dangjian.orgs.models import Org

PAGE_SIZE = 50
IMPORTER = ActivityImporter()


def require_party_role(user) -> None:
    if not scopes_for(user):
        raise PermissionDenied("您没有党组织方面的角色,不能查看组织生活。")


def within_org(request) -> Org:
    """The subtree a page shows: ?within=<org id> in scope, else the current org."""
    require_party_role(request.user)
    within_id = request.GET.get("within")
    org = get_visible_or_404(Org, request.user, pk=within_id) if within_id else request.get_current_org()
    if org is None:
        raise Http404("没有可查看的党组织。")
    return org


def visible_activity(request, pk, action="view") -> Activity:
    require_party_role(request.user)
    return get_visible_or_404(
        Activity.objects.select_related("org", "kind", "group"), request.user, action, pk=pk
    )


def attachments_of(form) -> list[services.Attachment]:
    return [
        services.Attachment(f.name, f.content_type or "application/octet-stream", f.read())
        for f in form.cleaned_data.get("attachments") or []
    ]


def run_service(request, form, call):
    try:
        return call(Actor.from_request(request))
    except ServiceError as error:
        add_service_error(form, error)
        return None


def parse_date(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# --- lists ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def activity_list(request):
    within = within_org(request)
    form = forms.ActivityFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = queries.ActivityFilters(
        **{k: v for k, v in data.items() if v not in (None, "")},
        secretary_lecture=request.GET.get("secretary_lecture") == "1",
    )
    activities = queries.filter_activities(queries.activities_within(request.user, within), filters)
    page = Paginator(queries.for_listing(activities), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = queries.with_counts(page.object_list)
    return render(
        request,
        "activities/list.html",
        {
            "within": within,
            "form": form,
            "page_obj": page,
            "can_change": path_in_scope(request.user, within.path, CHANGE),
        },
    )


@login_required
@require_GET
def calendar(request):
    """Planned and held activities of one month, day by day: the org's plan."""
    within = within_org(request)
    today = timezone.localdate()
    month = parse_date((request.GET.get("month") or "") + "-01") or today.replace(day=1)
    period = rules.period_of(month, "month")
    activities = (
        queries.activities_within(request.user, within)
        .filter(held_on__range=(period.start, period.end))
        .exclude(status=ActivityStatus.CANCELLED)
        .select_related("org", "kind")
        .order_by("held_on", "starts_at", "pk")
    )
    days: dict[date, list] = {}
    for activity in activities:
        days.setdefault(activity.held_on, []).append(activity)
    previous = rules.period_of(period.start.replace(day=1) - timedelta(days=1), "month")
    following = rules.period_of(period.end + timedelta(days=1), "month")
    return render(
        request,
        "activities/calendar.html",
        {
            "within": within,
            "period": period,
            "days": sorted(days.items()),
            "previous": previous.start.strftime("%Y-%m"),
            "following": following.start.strftime("%Y-%m"),
            "can_change": path_in_scope(request.user, within.path, CHANGE),
        },
    )


# --- one activity ---------------------------------------------------------------------------------------


@login_required
@require_GET
def activity_detail(request, pk):
    activity = visible_activity(request, pk)
    can_change = path_in_scope(request.user, activity.org.path, CHANGE)
    return render(
        request,
        "activities/detail.html",
        {
            "activity": activity,
            "agenda": activity.agenda.all(),
            "parties": activity.parties.select_related("org"),
            "attachments": activity.attachments.defer("content"),
            "attendance": activity.attendance.select_related("member", "org"),
            "counts": services.attendance_counts(activity),
            "statuses": AttendanceStatus.choices,
            "quorum_source": rules.SOURCE_QUORUM,
            "can_change": can_change,
            "checkin_url": request.build_absolute_uri(
                reverse("activities:checkin", args=[services.checkin_token(activity)])
            )
            if can_change
            else "",
        },
    )


def _org_for_new(request) -> Org:
    org_id = request.GET.get("org") or request.POST.get("host_org")
    org = get_visible_or_404(Org, request.user, CHANGE, pk=org_id) if org_id else request.get_current_org()
    if org is None or not path_in_scope(request.user, org.path, CHANGE):
        raise PermissionDenied("您不能在当前党组织登记组织生活;请先在组织树中选择您负责的党组织。")
    return org


def partner_orgs(request, org: Org):
    return (
        Org.objects.visible_to(request.user)
        .active()
        .exclude(pk=org.pk)
        .filter(kind__in=sorted(queries.BRANCH_LIKE))
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request):
    require_party_role(request.user)
    org = _org_for_new(request)
    initial = {
        "held_on": timezone.localdate(),
        "status": ActivityStatus.HELD,
        "kind": request.GET.get("kind", ""),
    }
    form = forms.ActivityForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        org=org,
        partner_orgs=partner_orgs(request, org),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        activity = run_service(
            request,
            form,
            lambda actor: services.record_activity(
                actor,
                org=org,
                kind=data["kind"],
                status=data["status"],
                held_on=data["held_on"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                topic=data["topic"],
                place=data["place"],
                group=data["group"] or None,
                host=data["host"],
                recorder=data["recorder"],
                lecturer=data["lecturer"],
                lecturer_is_secretary=data["lecturer_is_secretary"],
                minutes=data["minutes"],
                resolutions=data["resolutions"],
                study_hours=data["study_hours"],
                agenda=form.agenda_items(),
                partners=list(data["partners"]),
                attachments=attachments_of(form),
            ),
        )
        if activity is not None:
            messages.success(request, f"已登记“{activity.kind.name}:{activity.topic}”,请登记出勤情况。")
            return redirect("activities:detail", pk=activity.pk)
    return render(
        request,
        "activities/form.html",
        {"form": form, "org": org, "title": f"{org.name} · 登记组织生活", "submit": "保存"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request, pk):
    activity = visible_activity(request, pk, CHANGE)
    agenda = list(activity.agenda.all())
    first = next((a.title for a in agenda if a.first_topic), "")
    initial = {
        "kind": activity.kind.code,
        "status": activity.status,
        "held_on": activity.held_on,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "topic": activity.topic,
        "place": activity.place,
        "group": activity.group_id or "",
        "host": activity.host,
        "recorder": activity.recorder,
        "lecturer": activity.lecturer,
        "lecturer_is_secretary": activity.lecturer_is_secretary,
        "first_topic": first,
        "agenda": "\n".join(a.title for a in agenda if not a.first_topic),
        "minutes": activity.minutes,
        "resolutions": activity.resolutions,
        "study_hours": activity.study_hours,
        "partners": list(activity.parties.exclude(org=activity.org).values_list("org_id", flat=True)),
    }
    form = forms.ActivityForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        org=activity.org,
        partner_orgs=partner_orgs(request, activity.org),
    )
    form.fields["group"].disabled = True
    if activity.status == ActivityStatus.CANCELLED:
        form.fields["status"].choices = ActivityStatus.choices
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {
            name: data[name]
            for name in services.EDITABLE
            if name in data and not (name == "study_hours" and data[name] is None)
        }
        saved = run_service(
            request,
            form,
            lambda actor: services.update_activity(
                actor,
                activity,
                agenda=form.agenda_items(),
                partners=list(data["partners"]),
                attachments=attachments_of(form),
                **changes,
            ),
        )
        if saved is not None:
            messages.success(request, "已保存修改。")
            return redirect("activities:detail", pk=activity.pk)
    return render(
        request,
        "activities/form.html",
        {
            "form": form,
            "org": activity.org,
            "activity": activity,
            "attachments": activity.attachments.defer("content"),
            "title": f"修改 · {activity.topic}",
            "submit": "保存",
        },
    )


@login_required
@require_POST
def activity_cancel(request, pk):
    activity = visible_activity(request, pk, CHANGE)
    try:
        services.cancel_activity(Actor.from_request(request), activity, reason=request.POST.get("reason", ""))
        messages.success(request, "已取消该计划。")
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("activities:detail", pk=activity.pk)


@login_required
@require_POST
def attendance_mark(request, pk):
    """The secretary's attendance sheet: one status (and leave reason) per member expected."""
    activity = visible_activity(request, pk, CHANGE)
    marks = {}
    for row in activity.attendance.only("member_id"):
        status = request.POST.get(f"status-{row.member_id}")
        if status:
            marks[row.member_id] = (status, request.POST.get(f"reason-{row.member_id}", ""))
    try:
        counts = services.mark_attendance(Actor.from_request(request), activity, marks)
        messages.success(
            request,
            f"已保存出勤:应到{counts['total']}人,实到{counts['present']}人,请假{counts['on_leave']}人。",
        )
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect(reverse("activities:detail", args=[activity.pk]) + "#attendance")


@login_required
@require_GET
def activity_qr(request, pk):
    """The activity's check-in QR code as SVG, made on the server (no external service)."""
    activity = visible_activity(request, pk, CHANGE)
    url = request.build_absolute_uri(reverse("activities:checkin", args=[services.checkin_token(activity)]))
    svg = segno.make(url, error="m").svg_inline(scale=6, title=f"{activity.topic} 签到")
    return HttpResponse(svg, content_type="image/svg+xml")


# --- check-in and the member's phone page ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request, token):
    """Where the QR code leads: the member confirms and is checked in (within the window only)."""
    activity_id = services.activity_id_from_token(token)
    member = member_of(request.user)
    activity = None
    if activity_id is not None and member is not None:
        activity = (
            Activity.objects.select_related("org", "kind")
            .filter(pk=activity_id, attendance__member=member)
            .first()
        )
    if activity is None:
        raise Http404("签到码无效,或您不在本次活动的应到名单中。")
    row = activity.attendance.get(member=member)
    error = ""
    if request.method == "POST":
        try:
            row = services.check_in(Actor.from_request(request, via="mobile"), activity)
            messages.success(request, "签到成功。")
            return redirect("activities:mine")
        except ServiceError as exc:
            error = exc.message
    opens, closes = activity.checkin_window()
    return render(
        request,
        "activities/checkin.html",
        {"activity": activity, "row": row, "error": error, "opens": opens, "closes": closes},
    )


@login_required
@require_GET
def mine(request):
    """The member's phone page: upcoming activities of their org, recent ones with their attendance, hours."""
    member = member_of(request.user)
    today = timezone.localdate()
    context = {"member": member, "today": today}
    if member is not None:
        rows = Attendance.objects.filter(member=member).exclude(activity__status=ActivityStatus.CANCELLED)
        upcoming = (
            rows.filter(activity__held_on__gte=today)
            .select_related("activity__kind", "activity__org")
            .order_by("activity__held_on", "activity__starts_at")[:20]
        )
        recent = (
            rows.filter(activity__held_on__lt=today)
            .select_related("activity__kind", "activity__org")
            .order_by("-activity__held_on")[:20]
        )
        hours = queries.member_hours(member, today.year)
        context |= {
            "upcoming": upcoming,
            "recent": recent,
            "hours": hours,
            "minimum": rules.study_hours_minimum(queries.is_leader(member, today.year)),
        }
    return render(request, "activities/mine.html", context)


# --- compliance -----------------------------------------------------------------------------------------


def reporting_period(request, today: date) -> rules.Period:
    try:
        year = int(request.GET.get("year") or today.year)
        number = int(request.GET.get("quarter") or (today.month - 1) // 3 + 1)
        if 2000 <= year <= 2100 and 1 <= number <= 4:
            return rules.quarter(year, number)
    except ValueError:
        pass
    return rules.period_of(today, "quarter")


@login_required
@require_GET
def compliance(request):
    """Which orgs of the subtree met their 三会一课 and other obligations this quarter, by colour."""
    within = within_org(request)
    today = timezone.localdate()
    period = reporting_period(request, today)
    results = queries.subtree_compliance(request.user, within, period)
    counts = rules.count_by_colour((c for _, c in results), today)
    colour = request.GET.get("colour")
    rows = [
        {
            "org": org,
            "colour": c.colour(today),
            "label": rules.COLOUR_LABELS[c.colour(today)],
            "missing": [r.missing_text for r in c.missing(today)],
            "unplanned": [f"{r.period.label}{r.group_name}{r.label}" for r in c.unplanned(today)],
        }
        for org, c in results
    ]
    if colour in rules.COLOUR_LABELS:
        rows = [r for r in rows if r["colour"] == colour]
    unplanned_count = sum(1 for r in rows if r["unplanned"])
    if request.GET.get("unplanned") == "1":
        rows = [r for r in rows if r["unplanned"]]
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "activities/compliance.html",
        {
            "within": within,
            "period": period,
            "counts": counts,
            "colour": colour,
            "labels": rules.COLOUR_LABELS,
            "page_obj": page,
            "today": today,
            "years": forms.year_choices(today),
            "quarters": [1, 2, 3, 4],
            "unplanned_count": unplanned_count,
            "quarter_number": (period.start.month - 1) // 3 + 1,
        },
    )


@login_required
@require_GET
def org_compliance(request, pk):
    """One org: this quarter's requirements with what is missing, the reminders, and past quarters."""
    require_party_role(request.user)
    org = get_visible_or_404(Org, request.user, pk=pk)
    today = timezone.localdate()
    current = reporting_period(request, today)
    history = []
    period = current
    for _ in range(4):
        result = queries.compliance([org], period)[org.pk]
        history.append(
            {
                "period": period,
                "quarter": (period.start.month - 1) // 3 + 1,
                "result": result,
                "colour": result.colour(today),
                "missing": [r.missing_text for r in result.missing(today)],
            }
        )
        period = rules.period_of(period.start - timedelta(days=1), "quarter")
    latest = history[0]["result"]
    return render(
        request,
        "activities/org_compliance.html",
        {
            "org": org,
            "period": current,
            "current": latest,
            "colour": history[0]["colour"],
            "findings": latest.findings(today),
            "unplanned": latest.unplanned(today),
            "history": history,
            "today": today,
            "labels": rules.COLOUR_LABELS,
            "can_change": path_in_scope(request.user, org.path, CHANGE),
            "can_unlock": services.may_unlock(request.user, org),
            "unlocks": BackfillUnlock.objects.filter(org=org).select_related("granted_by")[:10],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def unlock(request, pk):
    """A supervisor lets an org record activities dated before the no-back-filling window."""
    require_party_role(request.user)
    org = get_visible_or_404(Org, request.user, pk=pk)
    if not services.may_unlock(request.user, org):
        raise PermissionDenied("补录解锁须由上级党组织办理。")
    today = timezone.localdate()
    form = forms.UnlockForm(request.POST or None, initial={"valid_until": today})
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request, form, lambda actor: services.grant_unlock(actor, org, **form.cleaned_data)
        )
        if done is not None:
            messages.success(request, f"已为“{org.name}”解锁补录。")
            return redirect("activities:org_compliance", pk=org.pk)
    return render(
        request,
        "activities/simple_form.html",
        {
            "form": form,
            "title": f"{org.name} · 补录解锁",
            "help": f"录入期限为活动后{settings.ACTIVITY_BACKFILL_DAYS}天;解锁后,该党组织在有效期内可补录所填日期以来的活动。本操作记入审计日志。",
            "submit": "解锁",
            "back": reverse("activities:org_compliance", args=[org.pk]),
        },
    )


# --- study hours, classes, figures ----------------------------------------------------------------------


@login_required
@require_GET
def study_hours(request):
    within = within_org(request)
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    rows = queries.study_hours(request.user, within, year)
    below_only = request.GET.get("below") == "1"
    below = sum(1 for r in rows if r.below)
    if below_only:
        rows = [r for r in rows if r.below]
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "activities/study_hours.html",
        {
            "within": within,
            "year": year,
            "page_obj": page,
            "below": below,
            "below_only": below_only,
            "years": forms.year_choices(today),
        },
    )


@login_required
@require_GET
def training_list(request):
    within = within_org(request)
    classes = (
        TrainingClass.objects.visible_to(request.user)
        .filter(subtree_q("org__path", within.path))
        .select_related("org")
        .annotate(trainee_count=Count("trainees"))
        .order_by("-started_on", "-pk")
    )
    start, end = parse_date(request.GET.get("date_from")), parse_date(request.GET.get("date_to"))
    if start:
        classes = classes.filter(started_on__gte=start)
    if end:
        classes = classes.filter(started_on__lte=end)
    page = Paginator(classes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "activities/training_list.html",
        {"within": within, "page_obj": page, "can_change": path_in_scope(request.user, within.path, CHANGE)},
    )


@login_required
@require_GET
def training_detail(request, pk):
    require_party_role(request.user)
    training = get_visible_or_404(TrainingClass.objects.select_related("org"), request.user, pk=pk)
    trainees = Trainee.objects.filter(training_class=training).select_related("member")
    return render(request, "activities/training_detail.html", {"training": training, "trainees": trainees})


@login_required
@require_http_methods(["GET", "POST"])
def training_create(request):
    require_party_role(request.user)
    org = _org_for_new(request)
    members = Member.objects.filter(
        subtree_q("org__path", org.path), on_roll=True, category__in=PARTY_MEMBER_CATEGORIES
    ).order_by("org__path", "name_initials")
    form = forms.TrainingClassForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        names = [n.strip() for n in (data["other_trainees"] or "").splitlines() if n.strip()]
        training = run_service(
            request,
            form,
            lambda actor: services.create_training_class(
                actor,
                org=org,
                title=data["title"],
                session=data["session"],
                started_on=data["started_on"],
                ended_on=data["ended_on"],
                hours=data["hours"],
                place=data["place"],
                trainees=[m.pk for m in data["trainees"]] + names,
            ),
        )
        if training is not None:
            messages.success(request, f"已登记培训班“{training}”。")
            return redirect("activities:training_detail", pk=training.pk)
    return render(
        request,
        "activities/simple_form.html",
        {
            "form": form,
            "title": f"{org.name} · 登记培训班",
            "submit": "保存",
            "back": reverse("activities:training_list"),
        },
    )


@login_required
@require_GET
def figures(request):
    """The year-end sentences for a subtree and a period; each number links to the records behind it."""
    within = within_org(request)
    today = timezone.localdate()
    start = parse_date(request.GET.get("date_from")) or date(today.year, 1, 1)
    end = parse_date(request.GET.get("date_to")) or date(today.year, 12, 31)
    return render(
        request,
        "activities/figures.html",
        {
            "within": within,
            "start": start,
            "end": end,
            "figures": queries.figures(request.user, within, start, end),
            "categories": dict(KindCategory.choices),
        },
    )


# --- import ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def activity_import(request):
    require_party_role(request.user)
    return upload(request, IMPORTER)


@login_required
@require_GET
def activity_template(request):
    require_party_role(request.user)
    return template_download(IMPORTER)


@login_required
@require_GET
def attachment_download(request, pk):
    """One file of an activity, for whoever sees the activity (404 otherwise)."""
    require_party_role(request.user)
    item = get_visible_or_404(ActivityAttachment.objects.select_related("activity"), request.user, pk=pk)
    response = FileResponse(
        io.BytesIO(bytes(item.content)),
        as_attachment=True,
        filename=item.name,
        content_type=item.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def rule_list(request):
    """The code tables: activity kinds and the versioned frequency requirements with their sources."""
    require_party_role(request.user)
    return render(
        request,
        "activities/rules.html",
        {
            "kinds": ActivityKind.objects.all(),
            "rules": ComplianceRule.objects.select_related("kind").order_by(
                "kind__sort_order", "effective_from"
            ),
            "today": timezone.localdate(),
            "can_edit": services.may_edit_code_tables(request.user),
        },
    )


def require_code_table_admin(request) -> None:
    require_party_role(request.user)
    if not services.may_edit_code_tables(request.user):
        raise PermissionDenied("只有最上级党组织的组织部管理员可以维护活动类型和频次要求。")


@login_required
@require_http_methods(["GET", "POST"])
def kind_create(request):
    """Add a kind of activity to the code table."""
    require_code_table_admin(request)
    form = forms.KindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kind = run_service(request, form, lambda actor: services.add_kind(actor, **form.cleaned_data))
        if kind is not None:
            messages.success(request, f"已增加活动类型“{kind.name}”。")
            return redirect("activities:rules")
    return render(
        request,
        "activities/simple_form.html",
        {
            "form": form,
            "title": "增加活动类型",
            "submit": "保存",
            "back": reverse("activities:rules"),
            "help": "新类型可立即用于登记活动;要检查其频次,请再增加一条频次要求。",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request):
    """Add a new version of a frequency requirement, applying from its effective date."""
    require_code_table_admin(request)
    initial = {"effective_from": timezone.localdate()}
    base = ComplianceRule.objects.select_related("kind").filter(pk=request.GET.get("from") or 0).first()
    if base is not None:
        initial.update(
            kind=base.kind.code,
            label=base.label,
            frequency=base.frequency,
            times=base.times,
            applies_to=base.applies_to,
            secretary_lecturer=base.secretary_lecturer,
            source=base.source,
        )
    form = forms.RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        rule = run_service(
            request, form, lambda actor: services.add_compliance_rule(actor, **form.cleaned_data)
        )
        if rule is not None:
            day = rule.effective_from
            messages.success(
                request, f"已增加频次要求“{rule.label}”,自{day.year}年{day.month}月{day.day}日起适用。"
            )
            return redirect("activities:rules")
    return render(
        request,
        "activities/simple_form.html",
        {
            "form": form,
            "title": "增加频次要求(新版本)",
            "submit": "保存",
            "back": reverse("activities:rules"),
            "help": "频次要求按生效日期分版本:已过去的期间仍按当时的版本判断。",
        },
    )
