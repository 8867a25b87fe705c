"""HTTP building blocks shared by every service's API: problem details."""

from careflow.shared.http.problems import (
    PROBLEM_MEDIA_TYPE,
    Problem,
    install_problem_handlers,
    problem_response,
)

__all__ = ["PROBLEM_MEDIA_TYPE", "Problem", "install_problem_handlers", "problem_response"]
