"""Units: credit codes, who sees and changes them, and coverage figures on a small known tree."""

from datetime import date

import pytest

from dangjian.core.errors import ConflictError, NotPermitted, ServiceError
from dangjian.core.models import AuditEntry
from dangjian.orgs import figures, services
from dangjian.orgs.models import Unit

pytestmark = pytest.mark.django_db

CODE = "91350100M000100Y43"


def test_a_unit_is_registered_with_its_checked_code(tree, county_admin, actor_for):
    unit = services.create_unit(
        actor_for(county_admin),
        responsible_org=tree["town_a"],
        org=tree["branch_a"],
        name="甲村村民委员会",
        credit_code=CODE.lower(),
        sector="village",
        headcount=12,
    )
    assert (unit.credit_code, unit.is_new_sector, unit.headcount) == (CODE, False, 12)
    assert AuditEntry.objects.get(action="unit.create").after["org"] == "甲村党支部"


def test_new_sector_follows_the_sector_unless_said(tree, system_actor):
    firm = services.create_unit(
        system_actor, responsible_org=tree["town_a"], name="甲镇机械厂", sector="private_enterprise"
    )
    assert firm.is_new_sector
    firm2 = services.create_unit(
        system_actor, responsible_org=tree["town_a"], name="甲镇合作社", sector="other", is_new_sector=True
    )
    assert firm2.is_new_sector


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"credit_code": "91350100M000100Y44"}, "credit_code", "校验位不正确"),
        ({"name": ""}, "name", "单位名称不能为空"),
        ({"headcount": -1}, "headcount", "不能为负数"),
        ({"sector": "moon"}, "sector", "领域“moon”无效"),
    ],
)
def test_bad_units_are_refused(tree, system_actor, fields, field, message):
    values = {"name": "某单位"} | fields
    with pytest.raises(ServiceError, match=message) as caught:
        services.create_unit(system_actor, responsible_org=tree["town_a"], **values)
    assert caught.value.field == field and not Unit.objects.exists()


def test_a_code_registered_elsewhere_is_refused_without_naming_the_unit(
    tree, system_actor, outsider, actor_for
):
    services.create_unit(system_actor, responsible_org=tree["town_a"], name="甲村村委会", credit_code=CODE)
    with pytest.raises(ConflictError) as caught:
        services.create_unit(
            actor_for(outsider), responsible_org=tree["branch_b"], name="乙社区", credit_code=CODE
        )
    assert "已登记" in caught.value.message and "甲村" not in caught.value.message


def test_the_covering_org_lies_in_the_responsible_orgs_subtree(tree, system_actor):
    with pytest.raises(ServiceError, match="所建党组织应为“甲镇党委”或其下级") as caught:
        services.create_unit(
            system_actor, responsible_org=tree["town_a"], org=tree["branch_b"], name="某单位"
        )
    assert caught.value.field == "org"


def test_the_branch_sees_and_updates_the_unit_it_covers_but_cannot_move_it(
    tree, system_actor, secretary, actor_for
):
    unit = services.create_unit(
        system_actor, responsible_org=tree["town_a"], org=tree["branch_a"], name="甲村村委会"
    )
    other = services.create_unit(system_actor, responsible_org=tree["town_a"], name="甲镇中学")
    assert list(Unit.objects.visible_to(secretary)) == [unit]
    services.update_unit(actor_for(secretary), unit, charter_includes_party_building=True)
    assert Unit.objects.get(pk=unit.pk).charter_includes_party_building
    with pytest.raises(NotPermitted):
        services.update_unit(actor_for(secretary), unit, org=None)
    with pytest.raises(NotPermitted):
        services.update_unit(actor_for(secretary), other, name="改名")


# --- coverage on a small known tree ---------------------------------------------------------------------


@pytest.fixture
def schools(tree, system_actor):
    """Four schools under 甲县委: three with a branch (one of them dissolved), one without; a closed one."""
    county = tree["county_a"]
    orgs = [
        services.create_org(system_actor, parent=county, name=f"甲县{n}中党支部", kind="branch", code=f"S{n}")
        for n in (1, 2, 3)
    ]
    services.dissolve_org(system_actor, orgs[2], reason="学校撤并")
    for n, org in zip((1, 2, 3), orgs, strict=True):
        services.create_unit(
            system_actor, responsible_org=county, org=org, name=f"甲县{n}中", sector="school"
        )
    services.create_unit(system_actor, responsible_org=county, name="甲县4中", sector="school")
    closed = services.create_unit(system_actor, responsible_org=county, name="甲县5中", sector="school")
    services.update_unit(system_actor, closed, closed_on=date(2024, 7, 1))
    services.create_unit(
        system_actor,
        responsible_org=tree["town_a"],
        org=tree["branch_a"],
        name="甲镇电子厂",
        sector="private_enterprise",
        charter_includes_party_building=True,
        secretary_is_head=True,
    )
    services.create_unit(system_actor, responsible_org=tree["town_a"], name="甲镇商会", sector="social_org")
    services.create_unit(system_actor, responsible_org=tree["branch_b"], name="乙县某校", sector="school")


def test_coverage_by_sector_counts_open_units_with_an_active_org(tree, schools, county_admin):
    rows = {
        c.label: (c.total, c.covered, c.share)
        for c in figures.coverage_by_sector(county_admin, tree["county_a"])
    }
    assert rows == {"非公企业": (1, 1, 100.0), "社会组织": (1, 0, 0.0), "学校": (4, 2, 50.0)}


def test_new_sector_measures(tree, schools, county_admin):
    rows = {
        c.label: (c.total, c.covered) for c in figures.new_sector_measures(county_admin, tree["county_a"])
    }
    assert rows == {
        "建立党组织": (2, 1),
        "党建入章": (2, 1),
        "双向进入、交叉任职": (2, 0),
        "书记由单位负责人担任": (2, 1),
    }


def test_coverage_follows_scope_and_subtree(tree, schools, dept_admin, outsider):
    city = {c.label: c.total for c in figures.coverage_by_sector(dept_admin, tree["city"])}
    assert city["学校"] == 5
    assert {c.label: c.total for c in figures.coverage_by_sector(outsider, tree["branch_b"])} == {"学校": 1}
    town = {c.label: c.total for c in figures.coverage_by_sector(dept_admin, tree["town_a"])}
    assert "学校" not in town
    assert figures.Coverage("x", 0, 0).share is None
