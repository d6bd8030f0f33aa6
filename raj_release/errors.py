"""One exception type for every input the project refuses.

Each message is one line saying what is wrong, where, and how to fix it; the CLI prints it on stderr with
exit code 2 and the API will answer 422. Raising it inside a service rolls the transaction back, so bad
input never changes the database.
"""


class RajError(Exception):
    """Bad input or a refused action; `str(err)` is the one-line message shown to the user."""


class NotFound(RajError):
    """A reference (person, worker, démarche) that does not exist."""


class ConfigError(RajError):
    """A configuration file that cannot be used; the message names the file and the field."""


class Conflict(RajError):
    """A state change that the current state forbids (e.g. a transition of the status machine)."""


class Forbidden(RajError):
    """An action one's role does not allow (a worker asking for the coordinators' dashboard). Never used for
    a person outside one's scope: that is NotFound, so that nothing tells whether the person exists."""
