"""One exception type for every input the project refuses.

Each message is one line saying what is wrong, where, and how to fix it; the CLI prints it on stderr with
exit code 2 and the API answers 422. Raising it inside a service rolls the transaction back, so bad input
never changes the database.

`field` names the input that is wrong in the services' own words (`prison`, `as_id`, `reason`): each shell
words it for its reader (the CLI as its flag `--prison`, the API as the JSON field).
"""


class RajError(Exception):
    """Bad input or a refused action; `str(err)` is the one-line message, led by the field if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class NotFound(RajError):
    """A reference (person, worker, démarche) that does not exist."""


class ConfigError(RajError):
    """A configuration file that cannot be used; the message names the file and the field."""


class Conflict(RajError):
    """A state change that the current state forbids (e.g. a transition of the status machine)."""


class Forbidden(RajError):
    """An action one's role does not allow (a worker asking for the coordinators' dashboard). Never used for
    a person outside one's scope: that is NotFound, so that nothing tells whether the person exists."""


class StaleVersion(Conflict):
    """A change made on a stale read of a person: `current` is the person's version now, `yours` the one the
    client read. The shells word it themselves (the plan page lists what changed meanwhile) rather than
    parsing the message."""

    def __init__(self, message: str, *, ref: str, current: int, yours: int) -> None:
        super().__init__(message, field="version")
        self.ref = ref
        self.current = current
        self.yours = yours
