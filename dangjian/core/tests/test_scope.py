import pytest
from django.http import Http404

from dangjian.core.access import CHANGE, get_visible_or_404
from dangjian.orgs.models import Org, OrgEvent


def names(qs):
    return sorted(qs.values_list("name", flat=True))


def test_it_scopes_orgs_to_the_subtree_of_each_role(
    tree, dept_admin, county_admin, secretary, member_user, outsider
):
    assert Org.objects.visible_to(dept_admin).count() == 6
    assert names(Org.objects.visible_to(county_admin)) == ["甲县委", "甲村党支部", "甲镇党委"]
    assert names(Org.objects.visible_to(secretary)) == ["甲村党支部"]
    assert names(Org.objects.visible_to(member_user)) == ["甲村党支部"]
    assert names(Org.objects.visible_to(outsider)) == ["乙社区党支部"]


def test_members_see_but_do_not_change(tree, member_user):
    assert Org.objects.visible_to(member_user, CHANGE).count() == 0


def test_system_roles_and_strangers_see_no_party_data(tree, sysadmin, secadmin, auditor, stranger):
    for user in (sysadmin, secadmin, auditor, stranger):
        assert Org.objects.visible_to(user).count() == 0
        assert OrgEvent.objects.visible_to(user).count() == 0


def test_an_out_of_scope_id_answers_404(tree, outsider):
    with pytest.raises(Http404):
        get_visible_or_404(Org, outsider, pk=tree["branch_a"].pk)
    assert get_visible_or_404(Org, outsider, pk=tree["branch_b"].pk) == tree["branch_b"]


def test_an_ended_role_no_longer_scopes(tree, secretary):
    from django.utils import timezone

    secretary.role_assignments.update(ended_at=timezone.now())
    secretary.refresh_from_db()
    assert Org.objects.visible_to(secretary).count() == 0


def test_events_follow_the_org_scope(tree, county_admin):
    assert set(OrgEvent.objects.visible_to(county_admin).values_list("org__code", flat=True)) == {
        "A0",
        "A1",
        "A2",
    }


def test_the_upper_bound_of_a_path_is_the_next_sibling_prefix():
    from dangjian.core.access import path_upper_bound

    assert path_upper_bound("0001000B") == "0001000C"
    assert path_upper_bound("00010009") == "0001000A"
    assert path_upper_bound("000Z") == "001"
    assert path_upper_bound("ZZZZ") is None


def test_the_subtree_filter_matches_the_prefix_for_every_org(tree, system_actor):
    from dangjian.core.access import subtree_q
    from dangjian.orgs.models import Org

    for org in Org.objects.all():
        by_prefix = set(Org.objects.filter(path__startswith=org.path).values_list("pk", flat=True))
        assert set(Org.objects.filter(subtree_q("path", org.path)).values_list("pk", flat=True)) == by_prefix
