"""The conformance kit (reconciler.testing) on the seven built-in revisions: each one's Platform is its entry
in tests/reliability/revision_profiles.py; its sandbox is started once per revision and emptied between
scenarios."""

from __future__ import annotations

import pytest

from reconciler.testing import Platform, PlatformContract
from tests.reliability.revision_profiles import PROFILE_IDS, PROFILES


class TestBuiltInRevisions(PlatformContract):
    @pytest.fixture(scope="class", params=PROFILES, ids=PROFILE_IDS)
    @classmethod
    def platform(cls, request: pytest.FixtureRequest) -> Platform:
        return request.param  # type: ignore[no-any-return]
