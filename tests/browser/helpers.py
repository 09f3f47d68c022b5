"""What the browser tests share besides fixtures."""

from conftest import PASSWORD


def log_in(page, live_server, user) -> None:
    """Sign ``user`` in through the login form (every persona's password is conftest.PASSWORD)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
