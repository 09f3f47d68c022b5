"""What every page's layout needs: the menu and the current org."""

from dangjian.core.navigation import menu_for


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    get_current_org = getattr(request, "get_current_org", None)
    return {
        "menu": menu_for(request),
        "current_org": get_current_org() if get_current_org else None,
    }
