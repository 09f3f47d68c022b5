"""Member development pages: the org's cases, one person's 25-step record with its findings, the step
forms, the to-do list, annual plans, the archive audit, rule sets and the Word dossier.

Every case is fetched through the user's scope (404 outside it); every write goes through
recruitment/services.py, whose refusals show on the form with the rule's message.
"""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.access import CHANGE, get_visible_or_404, path_in_scope
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.exporting import Sheet, xlsx_response
from dangjian.core.forms import add_service_error
from dangjian.core.import_views import template_download, upload
from dangjian.members.models import Member
from dangjian.members.views import require_party_role, within_org
from dangjian.orgs.models import Org
from dangjian.recruitment import dossier, forms, queries, rules, services
from dangjian.recruitment.importers import RecruitmentImporter
from dangjian.recruitment.models import STAGES, CaseStatus, Recruitment, Step, StepKind

PAGE_SIZE = 50


def visible_case(request, pk, action="view") -> Recruitment:
    require_party_role(request.user)
    return get_visible_or_404(
        Recruitment.objects.select_related("member", "org"), request.user, action, pk=pk
    )


def can_change(user, case: Recruitment) -> bool:
    return case.status == CaseStatus.OPEN and path_in_scope(user, case.org.path, CHANGE)


def attachment_of(upload) -> services.Attachment | None:
    if not upload:
        return None
    return services.Attachment(upload.name, upload.content_type or "application/octet-stream", upload.read())


def run(request, form, call):
    """Call a service; on refusal show its message (and the rule's source) on the form and return None."""
    try:
        return call(Actor.from_request(request))
    except ServiceError as error:
        add_service_error(form, error, {"occurred_on": "applied_on"} if "applied_on" in form.fields else None)
        form.rule_source = error.details.get("source", "")
        return None


# --- lists ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def case_list(request):
    within = within_org(request)
    form = forms.CaseFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    cases = queries.cases_in(request.user, within).select_related("member", "org")
    status = data.get("status") or "open"
    if status != "all":
        cases = cases.filter(status=status)
    if data.get("stage"):
        numbers = list(dict((stage, steps) for stage, _, steps in STAGES)[data["stage"]])
        cases = cases.filter(last_step__in=numbers + ([0] if data["stage"] == 1 else []))
    if data.get("warned"):
        cases = cases.filter(warning_count__gt=0)
    if data.get("q"):
        cases = cases.filter(member__name__contains=data["q"])
    counts = queries.stage_counts(request.user, within)
    page = Paginator(cases.order_by("org__path", "-last_step_on", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "recruitment/list.html",
        {
            "within": within,
            "form": form,
            "page_obj": page,
            "stages": [(n, title, counts[n]) for n, title, _ in STAGES],
        },
    )


@login_required
@require_GET
def todo_list(request):
    within = within_org(request)
    today = timezone.localdate()
    rule_id = request.GET.get("rule", "")
    items = queries.todo(request.user, within, today, rule_id if rule_id in rules.RULES else "")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = {k: r.label for k, r in rules.RULES.items() if r.level != "block"}
    return render(
        request,
        "recruitment/todo.html",
        {"within": within, "page_obj": page, "today": today, "labels": labels, "rule": rule_id},
    )


# --- one case -------------------------------------------------------------------------------------------


def timeline(case: Recruitment, review: list) -> list[dict]:
    steps = {s.number: s for s in case.steps.all()}
    votes = {v.step_id: v for v in case.votes.filter(step__isnull=False)}
    failed: dict[int, list] = {}
    for v in case.votes.filter(passed=False, step__isnull=True).order_by("held_on", "pk"):
        failed.setdefault(v.step_number, []).append(v)
    people: dict[int, list] = {}
    for s in case.sponsorships.select_related("person"):
        people.setdefault(s.step_id, []).append(s)
    by_step: dict[int, list] = {}
    for number, finding in review:
        by_step.setdefault(number, []).append(finding)
    stages = []
    for stage, title, numbers in STAGES:
        rows = []
        for number in numbers:
            step = steps.get(number)
            rows.append(
                {
                    "number": number,
                    "label": StepKind(number).label,
                    "step": step,
                    "vote": votes.get(step.pk) if step else None,
                    "failed_votes": failed.get(number, []),
                    "people": people.get(step.pk, []) if step else [],
                    "findings": by_step.get(number, []),
                }
            )
        stages.append({"number": stage, "title": title, "steps": rows})
    return stages


@login_required
@require_GET
def case_detail(request, pk):
    case = visible_case(request, pk)
    today = timezone.localdate()
    review = queries.review(case)
    facts = services.facts_for(case)
    sets = rules.sets_in_force(today, services.current_switches())
    reminders = rules.case_reminders(facts, today, sets) if case.status == CaseStatus.OPEN else []
    return render(
        request,
        "recruitment/detail.html",
        {
            "case": case,
            "member": case.member,
            "stages": timeline(case, review),
            "review": review,
            "reminders": reminders,
            "assessments": case.assessments.all(),
            "can_change": can_change(request.user, case),
            "next_step": case.next_step,
            "next_label": StepKind(case.next_step).label if case.next_step else "",
            "probation_end": facts.probation_end(),
            "in_activist_stage": StepKind.ACTIVIST_RECOMMENDED
            <= case.last_step
            < StepKind.CANDIDATE_CONFIRMED,
            "may_extend": StepKind.ADMISSION_APPROVED <= case.last_step < StepKind.CONVERSION_MEETING,
        },
    )


@login_required
def case_open(request, member_pk):
    require_party_role(request.user)
    member = get_visible_or_404(Member.objects.select_related("org"), request.user, CHANGE, pk=member_pk)
    existing = Recruitment.objects.filter(member=member).first()
    if existing is not None:
        return redirect("recruitment:detail", pk=existing.pk)
    form = forms.OpenCaseForm(
        request.POST or None, request.FILES or None, initial={"applied_on": member.applied_on}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case = run(
            request,
            form,
            lambda actor: services.open_case(
                actor,
                member,
                applied_on=data["applied_on"],
                done_by=data["done_by"],
                document_number=data["document_number"],
                note=data["note"],
                attachment=attachment_of(data.get("attachment")),
            ),
        )
        if case is not None:
            messages.success(request, f"已为“{member.name}”建立发展党员纪实。")
            return redirect("recruitment:detail", pk=case.pk)
    return render(
        request,
        "recruitment/form.html",
        {
            "form": form,
            "title": f"{member.name} · 开始发展党员纪实",
            "submit": "登记第1步",
            "back": None,
            "multipart": True,
        },
    )


@login_required
def step_create(request, pk):
    case = visible_case(request, pk, CHANGE)
    number = case.next_step
    if number is None:
        messages.error(request, f"该发展党员纪实{case.get_status_display()},不能再登记步骤。")
        return redirect("recruitment:detail", pk=case.pk)
    form = forms.StepForm(
        request.POST or None, request.FILES or None, number=number, org=case.org, member=case.member
    )
    if request.method == "POST" and form.is_valid() and number in services.VOTE_STEPS:
        data = form.cleaned_data
        vote = run(
            request,
            form,
            lambda actor: services.record_vote(
                actor,
                case,
                number,
                occurred_on=data["occurred_on"],
                done_by=data["done_by"],
                document_number=data["document_number"],
                note=data["note"],
                attachment=attachment_of(data.get("attachment")),
                vote=form.vote(),
            ),
        )
        if vote is not None:
            for warning in vote.warnings:
                level = messages.error if warning.rule_id in services.VOTE_RULES else messages.warning
                level(request, f"{warning.message}(依据:{warning.source})")
            if vote.passed:
                messages.success(request, f"已登记第{number}步“{StepKind(number).label}”,表决通过。")
            else:
                messages.info(
                    request,
                    f"表决未通过({vote.get_failure_reason_display()}),已记入纪实;本步骤未完成,可再次召开会议表决。",
                )
            return redirect("recruitment:detail", pk=case.pk)
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        step = run(
            request,
            form,
            lambda actor: services.record_step(
                actor,
                case,
                number,
                occurred_on=data["occurred_on"],
                done_by=data["done_by"],
                document_number=data["document_number"],
                note=data["note"],
                details=form.details(),
                attachment=attachment_of(data.get("attachment")),
                people=list(data.get("people") or []),
                vote=form.vote(),
            ),
        )
        if step is not None:
            for warning in step.warnings:
                messages.warning(request, f"{warning.message}(依据:{warning.source})")
            messages.success(request, f"已登记第{number}步“{StepKind(number).label}”。")
            return redirect("recruitment:detail", pk=case.pk)
    return render(
        request,
        "recruitment/form.html",
        {
            "form": form,
            "case": case,
            "title": f"{case.member.name} · 第{number}步 {StepKind(number).label}",
            "submit": "登记",
            "multipart": True,
        },
    )


def simple_form(request, case, form_class, title, call, done):
    form = form_class(request.POST or None)
    saved = request.method == "POST" and form.is_valid()
    if saved and run(request, form, lambda actor: call(actor, form.cleaned_data) or True) is not None:
        messages.success(request, done)
        return redirect("recruitment:detail", pk=case.pk)
    return render(
        request, "recruitment/form.html", {"form": form, "case": case, "title": title, "submit": "保存"}
    )


@login_required
def assessment_create(request, pk):
    case = visible_case(request, pk, CHANGE)
    return simple_form(
        request,
        case,
        forms.AssessmentForm,
        f"{case.member.name} · 入党积极分子考察",
        lambda actor, d: services.add_assessment(actor, case, **d),
        "已登记考察意见。",
    )


@login_required
def probation_extend(request, pk):
    case = visible_case(request, pk, CHANGE)
    return simple_form(
        request,
        case,
        forms.ExtendForm,
        f"{case.member.name} · 延长预备期",
        lambda actor, d: services.extend_probation(actor, case, **d),
        "已延长预备期。",
    )


@login_required
def case_end(request, pk):
    case = visible_case(request, pk, CHANGE)
    return simple_form(
        request,
        case,
        forms.EndForm,
        f"{case.member.name} · 终止发展",
        lambda actor, d: services.end_case(actor, case, **d),
        "已终止该发展党员纪实。",
    )


@login_required
@require_GET
def step_attachment(request, pk):
    require_party_role(request.user)
    step = get_visible_or_404(Step.objects.exclude(attachment=None), request.user, pk=pk)
    if not step.attachment_name:
        raise Http404("该步骤没有附件。")
    return FileResponse(
        io.BytesIO(bytes(step.attachment)),
        as_attachment=True,
        filename=step.attachment_name,
        content_type=step.attachment_type or "application/octet-stream",
    )


@login_required
@require_GET
def case_dossier(request, pk):
    case = visible_case(request, pk)
    content = dossier.build(case, queries.review(case))
    return FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=f"{case.member.name}发展党员全程纪实.docx",
        content_type=dossier.DOCX_TYPE,
    )


# --- plans, audit, rule sets ----------------------------------------------------------------------------


def year_of(request) -> int:
    form = forms.YearForm(request.GET or None)
    return (form.cleaned_data.get("year") if form.is_valid() else None) or timezone.localdate().year


@login_required
@require_GET
def plan_list(request):
    within = within_org(request)
    year = year_of(request)
    total, rows = queries.fulfilment(request.user, within, year)
    return render(
        request,
        "recruitment/plans.html",
        {
            "within": within,
            "year": year,
            "total": total,
            "rows": rows,
            "can_set": path_in_scope(request.user, within.path, CHANGE),
        },
    )


@login_required
def plan_set(request):
    require_party_role(request.user)
    current = request.get_current_org()
    form = forms.PlanForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        code = data.pop("org_code").strip()
        org = Org.objects.visible_to(request.user).filter(code=code).first()
        if org is None:
            form.add_error("org_code", f"未找到组织编码为“{code}”的党组织,或您无权为其下达计划。")
        elif run(request, form, lambda actor: services.set_plan(actor, org, **data)) is not None:
            messages.success(request, f"已下达“{org.name}”{data['year']}年发展党员计划。")
            upper = services.parent_of(org) or org
            return redirect(f"{reverse('recruitment:plans')}?within={upper.pk}&year={data['year']}")
    return render(
        request,
        "recruitment/form.html",
        {"form": form, "title": "下达发展党员计划", "submit": "保存", "current": current},
    )


@login_required
@require_GET
def archive_audit(request):
    within = within_org(request)
    year = year_of(request)
    rows = queries.archive_audit(request.user, within, year)
    only_findings = request.GET.get("all") != "1"
    shown = [r for r in rows if r.findings] if only_findings else rows
    if request.GET.get("format") == "xlsx":
        return xlsx_response(f"{within.name}{year}年发展党员档案审核.xlsx", [audit_sheet(shown)])
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "recruitment/audit.html",
        {
            "within": within,
            "year": year,
            "page_obj": page,
            "total": len(rows),
            "with_findings": sum(1 for r in rows if r.findings),
            "only_findings": only_findings,
        },
    )


def audit_lines(rows: list):
    """One line per finding; a person without findings (when all are shown) on one line with “无”."""
    for row in rows:
        base = [row.member.name, row.member.org.name, row.admitted_on]
        if not row.findings:
            yield [*base, "", "", "无", ""]
        for number, finding in row.findings:
            yield [*base, number or "", finding.level.label, finding.message, finding.source]


def audit_sheet(rows: list) -> Sheet:
    headers = ["姓名", "党组织", "接收日期", "步骤", "方式", "问题", "依据"]
    return Sheet("档案审核", headers, audit_lines(rows), widths=[10, 24, 12, 6, 6, 60, 40])


@login_required
@require_GET
def rule_set_list(request):
    require_party_role(request.user)
    switches = services.current_switches()
    sets = []
    for key, rule_set in rules.RULE_SETS.items():
        switch = switches.get(key)
        active = rule_set.active_by_default if switch is None else switch.active
        since = rule_set.effective_from if switch is None else switch.effective_from
        sets.append(
            {
                "set": rule_set,
                "active": active,
                "since": since,
                "rules": [r for r in rules.RULES.values() if r.rule_set == key],
                "form": forms.RuleSetForm(initial={"key": key, "active": active, "effective_from": since}),
            }
        )
    return render(
        request,
        "recruitment/rule_sets.html",
        {"sets": sets, "can_switch": services.can_switch_rule_sets(request.user)},
    )


@login_required
@require_POST
def rule_set_switch(request):
    require_party_role(request.user)
    form = forms.RuleSetForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.switch_rule_set(
                Actor.from_request(request),
                data["key"],
                active=data["active"],
                effective_from=data["effective_from"],
                note=data["note"],
            )
            messages.success(request, "已保存规则集的启用设置。")
        except ServiceError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, "提交的内容有误。")
    return redirect("recruitment:rule_sets")


# --- import ---------------------------------------------------------------------------------------------

IMPORTER = RecruitmentImporter()


@login_required
@require_http_methods(["GET", "POST"])
def case_import(request):
    return upload(request, IMPORTER)


@login_required
@require_GET
def import_template(request):
    return template_download(IMPORTER)
