"""Forms of the account pages: logging in, passwords, tokens, users and role grants.

Forms only read and shape input; the rules (password strength, who may grant what, duplicates)
live in ``accounts.services`` and come back as ``ServiceError`` shown on the form.
"""

from django import forms
from django.contrib.auth import password_validation
from django.urls import NoReverseMatch, reverse

from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.core.forms import StyledFormMixin
from dangjian.orgs.models import Org

PASSWORDS_DIFFER = "两次输入的新密码不一致。"


class LoginForm(StyledFormMixin, forms.Form):
    username = forms.CharField(
        label="用户名", max_length=150, widget=forms.TextInput(attrs={"autofocus": True})
    )
    password = forms.CharField(label="密码", strip=False, widget=forms.PasswordInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class NewPasswordMixin(forms.Form):
    """A new password typed twice; its strength is checked by the service, with the validators' messages."""

    new_password = forms.CharField(
        label="新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label="再次输入新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The validators' own help text, in Chinese (the site's language), rendered as plain text.
        self.fields["new_password"].help_text = " ".join(password_validation.password_validators_help_texts())

    def clean(self):
        data = super().clean()
        first, second = data.get("new_password"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", PASSWORDS_DIFFER)
        return data


class PasswordChangeForm(StyledFormMixin, NewPasswordMixin):
    old_password = forms.CharField(
        label="原密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    field_order = ["old_password", "new_password", "new_password2"]


class PasswordResetForm(StyledFormMixin, NewPasswordMixin):
    """The system administrator sets a new password for someone who forgot theirs."""


class TokenForm(StyledFormMixin, forms.Form):
    name = forms.CharField(
        label="用途", max_length=100, required=False, help_text="便于日后辨认,例如“统计脚本”。"
    )


class UserSearchForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label="用户名或姓名", required=False)


class UserCreateForm(StyledFormMixin, NewPasswordMixin):
    username = forms.CharField(label="用户名", max_length=150)
    display_name = forms.CharField(label="姓名", max_length=50, required=False)
    field_order = ["username", "display_name", "new_password", "new_password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password"].label = "初始密码"
        self.fields["new_password2"].label = "再次输入初始密码"


class RoleFilterForm(StyledFormMixin, forms.Form):
    role = forms.ChoiceField(label="角色", choices=[("", "全部角色"), *Role.choices], required=False)
    username = forms.CharField(label="用户名", required=False)
    ended = forms.BooleanField(label="包括已终止的授权", required=False)


def org_suggestions() -> dict:
    """Widget attributes that fill <datalist id="org-options"> with matching orgs as one types.

    The rows come from the org pages' select endpoint (``?q=``); without it the field still takes a code.
    """
    try:
        url = reverse("orgs:select")
    except NoReverseMatch:
        return {}
    return {
        "list": "org-options",
        "autocomplete": "off",
        "hx-get": url,
        "hx-trigger": "input changed delay:300ms, focus once",
        "hx-target": "#org-options",
        "hx-swap": "innerHTML",
        # Only the typed text, sent as q: the endpoint's parameter, not the form field's name.
        "hx-vals": "js:{q: this.value}",
        "hx-params": "q",
    }


class RoleGrantForm(StyledFormMixin, forms.Form):
    """Who gets which role where; the user and the org are typed by their natural keys."""

    username = forms.CharField(label="用户名", max_length=150)
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    org_code = forms.CharField(
        label="党组织(组织编码)",
        max_length=40,
        required=False,
        help_text="党内角色须填写:输入组织名称或编码后从列表中选择。系统角色不填。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_code"].widget.attrs.update(org_suggestions())

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = User.objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(f"用户“{username}”不存在。")
        return user

    def clean_org_code(self):
        code = self.cleaned_data["org_code"].strip()
        if not code:
            return None
        # Grants go to working orgs only; a dissolved org keeps its old grants but takes no new ones.
        org = Org.objects.active().filter(code=code).first()
        if org is None:
            raise forms.ValidationError(f"组织编码“{code}”不存在或该组织已撤销。")
        return org
