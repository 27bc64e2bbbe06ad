"""Domain errors: raised by the services, translated into messages only at the edge (pages, CLI).

Each carries Messages (core.messages): the English text is the error's str(), as the CLI prints it;
the code and parameters let a page say it in the user's language."""

from collections.abc import Mapping

from core.messages import Message


def _checked(message: object) -> Message:
    if not isinstance(message, Message):
        raise TypeError(f"a domain error carries a Message, not {type(message).__name__}: {message!r}")
    return message


class DomainError(Exception):
    """Base of every error a user can cause; pages and the CLI catch exactly these."""


class ValidationError(DomainError):
    """Bad input: maps each offending field to a message a person can act on."""

    def __init__(self, errors: Mapping[str, Message]):
        self.errors = {field: _checked(message) for field, message in errors.items()}
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))


class _OneMessage(DomainError):
    def __init__(self, message: Message):
        self.message = _checked(message)
        super().__init__(message)


class PermissionDenied(_OneMessage):
    pass


class Conflict(_OneMessage):
    """The record changed since the caller read it (optimistic locking)."""


class NotFound(_OneMessage):
    pass
