"""Which login is a member's own (MemberLogin): linking, the one-to-one rule, dated unlinking, the page."""

import pytest

from dangjian.core.errors import ConflictError, NotPermitted, ServiceError
from dangjian.core.models import AuditEntry
from dangjian.members import services
from dangjian.members.models import MemberLogin


@pytest.fixture
def pair(tree, make_member):
    return (
        make_member(tree["branch_a"], name="甲村一号"),
        make_member(tree["branch_a"], name="甲村二号"),
    )


def test_a_link_makes_the_login_the_member_s_own_and_is_audited(pair, member_user, secretary, actor_for):
    link = services.link_login(actor_for(secretary), member_user, pair[0])
    assert services.member_of(member_user) == pair[0]
    assert link.ended_at is None
    assert AuditEntry.objects.filter(action="members.link_login", object_id=str(link.pk)).exists()


def test_a_login_belongs_to_one_member_and_a_member_has_one_login(
    pair, tree, member_user, secretary, actor_for
):
    from conftest import make_user
    from dangjian.accounts.roles import Role

    other_login = make_user("甲村另一账号", Role.MEMBER, tree["branch_a"])
    actor = actor_for(secretary)
    services.link_login(actor, member_user, pair[0])
    with pytest.raises(ConflictError, match="已关联其他党员"):
        services.link_login(actor, member_user, pair[1])
    with pytest.raises(ConflictError, match="已关联其他账号"):
        services.link_login(actor, other_login, pair[0])
    assert MemberLogin.objects.count() == 1


def test_unlinking_is_a_dated_end_and_the_login_can_be_linked_again(pair, member_user, secretary, actor_for):
    actor = actor_for(secretary)
    first = services.link_login(actor, member_user, pair[0])
    ended = services.unlink_login(actor, first)
    assert ended.ended_at is not None
    assert services.member_of(member_user) is None
    with pytest.raises(ConflictError, match="已解除"):
        services.unlink_login(actor, first)
    services.link_login(actor, member_user, pair[1])
    assert services.member_of(member_user) == pair[1]
    assert MemberLogin.objects.filter(member=pair[0], ended_at__isnull=False).count() == 1
    assert AuditEntry.objects.filter(action="members.unlink_login", object_id=str(first.pk)).exists()


def test_only_someone_who_may_change_the_member_s_org_links_or_unlinks(
    pair, member_user, outsider, secretary, actor_for
):
    with pytest.raises(NotPermitted):
        services.link_login(actor_for(outsider), member_user, pair[0])
    with pytest.raises(NotPermitted):  # a member's own role only views
        services.link_login(actor_for(member_user), member_user, pair[0])
    link = services.link_login(actor_for(secretary), member_user, pair[0])
    with pytest.raises(NotPermitted):
        services.unlink_login(actor_for(outsider), link)
    assert services.member_of(member_user) == pair[0]


def test_the_login_needs_a_role_at_the_member_s_org(pair, outsider, secretary, actor_for):
    with pytest.raises(ServiceError, match="没有角色"):
        services.link_login(actor_for(secretary), outsider, pair[0])


def test_no_member_for_anonymous_or_unlinked_logins(pair, member_user):
    from django.contrib.auth.models import AnonymousUser

    assert services.member_of(None) is None
    assert services.member_of(AnonymousUser()) is None
    assert services.member_of(member_user) is None


def test_the_secretary_links_and_unlinks_on_the_page(pair, secretary, member_user, outsider, login):
    client = login(secretary)
    refused = client.post("/members/logins/", {"username": outsider.username, "member": pair[1].pk})
    assert "没有角色" in refused.content.decode()
    response = client.post("/members/logins/", {"username": member_user.username, "member": pair[1].pk})
    assert response.status_code == 302
    link = MemberLogin.objects.get(user=member_user)
    assert link.member == pair[1]
    page = client.get(response["Location"]).content.decode()
    assert "甲村二号" in page and "解除关联" in page
    assert client.post(f"/members/logins/{link.pk}/end/").status_code == 302
    link.refresh_from_db()
    assert link.ended_at is not None
    assert "已解除的关联" in client.get("/members/logins/").content.decode()


def test_the_page_is_for_those_who_may_change_and_the_menu_says_so(pair, secretary, member_user, login):
    assert login(member_user).get("/members/logins/").status_code == 403
    assert "党员账号关联" in login(secretary).get("/members/").content.decode()
    assert "党员账号关联" not in login(member_user).get("/members/").content.decode()
