"""Form helpers shared by every app's pages."""

from django import forms

from dangjian.core.errors import ServiceError


class StyledFormMixin:
    """Gives each widget its Bootstrap class, and marks fields with errors as invalid."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def add_service_error(form: forms.Form, error: ServiceError, field_map: dict | None = None) -> None:
    """Show a service's refusal on the form: next to the field it names, or above the form."""
    name = (field_map or {}).get(error.field, error.field)
    form.add_error(name if name in form.fields else None, error.message)
    if name in form.fields:
        widget = form.fields[name].widget
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
