"""Errors that services raise; pages and the API turn them into Chinese messages.

A service never returns half a result: it raises one of these inside its transaction,
so nothing it started is saved.
"""


class ServiceError(Exception):
    """A write was refused. ``message`` is Chinese and says what is wrong.

    ``field`` names the input that is wrong (a model field name), when there is one,
    so a form can show the message next to it and an import can name the column.
    """

    code = "invalid"
    status = 400

    def __init__(self, message: str, field: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}


class ConflictError(ServiceError):
    """The write clashes with the current state (a duplicate, a record that depends on it)."""

    code = "conflict"
    status = 409


class NotPermitted(ServiceError):
    """The actor's role may not do this here. Only raised for objects the actor can see."""

    code = "forbidden"
    status = 403
