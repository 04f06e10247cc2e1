"""Domain error hierarchy.

Every error carries a stable machine ``code`` (mapped to HTTP status and Temporal error type at the edges)
and, where it concerns one input field, the ``field`` path so the API can name it. Messages never contain
personal data: they name the field and the reason, not the value.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class of every rule violation raised by the domain.

    Args:
        message: a human-readable reason, free of personal data.
        field: the path of the offending input field, e.g. ``("members", 0, "resident_id")``.
    """

    code = "domain_error"

    def __init__(self, message: str, *, field: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """The command's content breaks a rule (maps to 422)."""

    code = "invalid_input"


class InvalidTransition(DomainError):
    """The command does not fit the case's current stage (maps to 409)."""

    code = "invalid_transition"


class NotPermitted(DomainError):
    """The actor's role or jurisdiction does not allow the command (maps to 403)."""

    code = "not_permitted"


class ConflictOfInterest(NotPermitted):
    """The actor, or a staff member the command names (an investigator, an attendee), is filed as a close
    relative of a member of the household (S1 Art. 11) and stands aside from the case (回避); maps to 403."""

    code = "conflict_of_interest"


class ReserveFundShort(InvalidTransition):
    """An urgent grant (先行救助) the township's reserve fund cannot pay: it would go below zero (S8 §三(三));
    nothing is recorded on the case, the county is told (maps to 409)."""

    code = "reserve_fund_insufficient"
