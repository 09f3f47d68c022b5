"""The first rows of the code tables: the activity kinds of GLOSSARY.md and the frequencies of RULES.md §3.

Used by tests that run after a database flush (browser tests). Migration 0002 keeps its own copy of the
same rows on purpose: a migration must not change when the app's code does.
"""

from datetime import date

KINDS = [
    # code, name, category, needs quorum, default study hours
    ("general_meeting", "支部党员大会", "three_meetings", True, "2"),
    ("committee_meeting", "支部委员会会议", "three_meetings", False, "0"),
    ("group_meeting", "党小组会", "three_meetings", False, "1"),
    ("party_lecture", "党课", "three_meetings", False, "2"),
    ("theme_day", "主题党日", "org_life", False, "2"),
    ("life_meeting", "组织生活会", "org_life", False, "2"),
    ("member_appraisal", "民主评议党员", "org_life", False, "1"),
    ("heart_talk", "谈心谈话", "org_life", False, "0"),
    ("study_session", "集中学习研讨", "education", False, "2"),
    ("tradition_education", "革命传统教育", "education", False, "2"),
    ("policy_education", "形势政策教育", "education", False, "2"),
    ("exemplar_education", "先进典型教育", "education", False, "2"),
    ("warning_education", "警示教育", "education", False, "2"),
    ("law_education", "法治教育", "education", False, "2"),
    ("forum", "双周讲坛", "education", False, "1"),
    ("lecture_tour", "宣讲", "education", False, "1"),
    ("village_talk", "屋场恳谈", "education", False, "0"),
]

SOURCE = "《中国共产党支部工作条例(试行)》(2018)“三会一课”制度"
RULES = [
    # kind, frequency, applies_to, secretary lecturer, label, source
    ("general_meeting", "quarter", "branch", False, "支部党员大会", SOURCE),
    ("committee_meeting", "month", "branch_with_committee", False, "支部委员会会议", SOURCE),
    ("group_meeting", "month", "group", False, "党小组会", SOURCE),
    ("party_lecture", "quarter", "branch", False, "党课", "本地规定(默认每季度一次,可调整)"),
    (
        "party_lecture",
        "year",
        "committee_org",
        True,
        "党委书记讲党课",
        "《中国共产党党和国家机关基层组织工作条例》等:党委(党组)书记每年至少讲一次党课",
    ),
    ("theme_day", "month", "branch", False, "主题党日", SOURCE),
    (
        "life_meeting",
        "year",
        "branch",
        False,
        "组织生活会",
        SOURCE + ";《关于新形势下党内政治生活的若干准则》",
    ),
    ("member_appraisal", "year", "branch", False, "民主评议党员", SOURCE),
    ("heart_talk", "year", "branch", False, "谈心谈话", SOURCE),
]


def seed_defaults(Kind, Rule) -> None:
    """Create the default kinds and rules that are missing; existing rows are left as they are."""
    kinds = {}
    for order, (code, name, category, quorum, hours) in enumerate(KINDS, start=1):
        kinds[code], _ = Kind.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "category": category,
                "needs_quorum": quorum,
                "default_study_hours": hours,
                "sort_order": order * 10,
            },
        )
    for kind, frequency, applies_to, secretary, label, source in RULES:
        Rule.objects.get_or_create(
            kind=kinds[kind],
            applies_to=applies_to,
            secretary_lecturer=secretary,
            effective_from=date(2018, 10, 28),
            defaults={"frequency": frequency, "label": label, "source": source, "times": 1},
        )
