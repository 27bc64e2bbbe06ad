"""Domain errors: raised by the services, translated into messages only at the edge (pages, CLI)."""


class DomainError(Exception):
    """Base of every error a user can cause; pages and the CLI catch exactly these."""


class ValidationError(DomainError):
    """Bad input: maps each offending field to a message a person can act on."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))


class PermissionDenied(DomainError):
    pass


class Conflict(DomainError):
    """The record changed since the caller read it (optimistic locking)."""


class NotFound(DomainError):
    pass
