"""The conformance kit (reconciler.testing) on the seven built-in revisions: each one's Platform is its entry
in tests/reliability/revision_profiles.py; its sandbox is started once per revision and emptied between
scenarios."""

from __future__ import annotations

import pytest

from reconciler.testing import Platform, PlatformContract
from tests.reliability.revision_profiles import PROFILE_IDS, PROFILES

# Under `pytest -n --dist loadgroup` each revision's scenarios run on one worker, which starts its sandbox
# once; spread test by test, every worker would start (and stop) the class's server at each switch.
REVISIONS = [
    pytest.param(profile, id=name, marks=pytest.mark.xdist_group(f"conformance-{name}"))
    for profile, name in zip(PROFILES, PROFILE_IDS, strict=True)
]


class TestBuiltInRevisions(PlatformContract):
    @pytest.fixture(scope="class", params=REVISIONS)
    @classmethod
    def platform(cls, request: pytest.FixtureRequest) -> Platform:
        return request.param  # type: ignore[no-any-return]
