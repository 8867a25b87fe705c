"""HTTP building blocks shared by every service's API: problem details, parameter types."""

from careflow.shared.http.params import Instant
from careflow.shared.http.problems import (
    PROBLEM_MEDIA_TYPE,
    Problem,
    install_problem_handlers,
    problem_response,
)

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "Instant",
    "Problem",
    "install_problem_handlers",
    "problem_response",
]
