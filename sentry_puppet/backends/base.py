"""The one small interface every server API sits behind: its types and its error.

Everything above this package (plan, apply, publish, cli) is backend-blind: it sees
Teams and Projects keyed by slug, and a Backend that can list, create and read DSNs.
"""
from dataclasses import dataclass
from typing import List, Optional, Protocol

from sentry_puppet.config import ProjectSettings


class BackendError(Exception):
    """A request failed in a way an operator must hear about.

    The message names the URL and the status and says what to do; never the token.
    """


@dataclass(frozen=True)
class Team:
    slug: str            # the name the definitions use (`team: payments`)
    ref: str             # what the API wants to address it: Sentry slug, Bugsink uuid


@dataclass(frozen=True)
class Project:
    slug: str            # definitions.slugify(app name): the key the planner matches on
    name: str
    team: Optional[str]  # team slug, when the listing tells it
    ref: str             # what the API wants to address it: Sentry slug, Bugsink id
    platform: Optional[str] = None
    dsn: Optional[str] = None   # filled when the listing carries it (Bugsink), else by get_dsn


class Backend(Protocol):
    def list_teams(self) -> List[Team]: ...

    def list_projects(self) -> List[Project]: ...

    def create_team(self, slug: str) -> Team: ...

    def create_project(self, team: Team, name: str, slug: str, platform: str) -> Project:
        """Create it, or adopt the existing one with that slug; never make a second."""

    def get_dsn(self, project: Project) -> Optional[str]: ...

    def close(self) -> None: ...

    request_count: int   # HTTP requests sent so far (the benchmark and -v report it)
    settings: ProjectSettings   # what a project created here gets
