"""The current org: the node the user has picked in the tree, kept in the session."""

from dangjian.core.access import scopes_for
from dangjian.orgs.models import Org

SESSION_KEY = "current_org_id"


def default_org_for(user):
    """The highest org the user holds a party role at: where their work starts."""
    scopes = scopes_for(user)
    if not scopes:
        return None
    top = min(scopes, key=lambda s: (len(s.path), s.path))
    return Org.objects.filter(path=top.path).first()


def current_org(request):
    if not request.user.is_authenticated:
        return None
    org_id = request.session.get(SESSION_KEY)
    if org_id:
        org = Org.objects.visible_to(request.user).filter(pk=org_id).first()
        if org is not None:
            return org
    return default_org_for(request.user)


class CurrentOrgMiddleware:
    """Makes ``request.current_org`` available lazily (most API calls never need it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request._current_org_cache = ...

        def load():
            if request._current_org_cache is ...:
                request._current_org_cache = current_org(request)
            return request._current_org_cache

        request.get_current_org = load
        return self.get_response(request)
