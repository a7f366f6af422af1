"""`reconciler controller` end to end (issue 23): the real process watching a real git repository, against the
Cadenya sandbox server. Platform state is read with plain HTTP; /metrics is parsed with prometheus_client's
parser. "Within one interval" is checked by order, not by the clock: the first reconcile logged after the
controller read a commit is the one that applies it."""

from __future__ import annotations

from pathlib import Path

from tests.controller.support import (
    Platform,
    Repo,
    bundle,
    first_reconcile_after_read,
    running,
    schedule,
    wait_for,
)
from tests.sandbox_server import Server


def _args(repo: Repo, tmp_path: Path) -> list[str]:
    return ["--repo", str(repo.path), "--workdir", str(tmp_path / "work")]


def test_commits_that_add_change_and_remove_schedules_converge_in_the_next_reconcile(
    sandbox: Server, platform: Platform, repo: Repo, tmp_path: Path
) -> None:
    with running(sandbox.env, *_args(repo, tmp_path)) as controller:
        # No commit on the ref yet: alive, not ready.
        assert controller.get("/readyz").status_code == 503
        assert controller.get("/healthz").status_code == 200
        first = repo.commit(
            "add", {"team.yaml": bundle("team", [schedule("a"), schedule("b"), schedule("c")])}
        )
        applied = wait_for(
            lambda: first_reconcile_after_read(controller, first, "team"), "the first reconcile", controller
        )
        assert applied["result"] == "ok" and applied["applied"] == 3
        assert sorted(platform.active()) == ["a", "b", "c"]
        wait_for(lambda: controller.get("/readyz").status_code == 200, "ready", controller)

        second = repo.commit(
            "change b, remove c, add d",
            {"team.yaml": bundle("team", [schedule("a"), schedule("b", cron="30 6 * * *"), schedule("d")])},
        )
        changed = wait_for(
            lambda: first_reconcile_after_read(controller, second, "team"), "the reconcile", controller
        )
        assert changed["result"] == "ok" and changed["applied"] == 3  # update b, create d, archive c
        live = platform.active()
        assert sorted(live) == ["a", "b", "d"]
        assert "30 6 * * *" in str(live["b"]["spec"])
        assert len(platform.schedules()) == 4  # c archived (prune: archive), nothing duplicated

        metrics = controller.metrics()
        assert metrics[("reconciler_reconciles_total", (("bundle", "team"), ("result", "ok")))] >= 2
        assert metrics[("reconciler_schedules", (("bundle", "team"),))] == 3
        assert metrics[("reconciler_ready", ())] == 1
        assert ("reconciler_last_success_timestamp_seconds", (("bundle", "team"),)) in metrics
        routes = {
            dict(labels).get("route")
            for name, labels in metrics
            if name.startswith("reconciler_platform_request")
        }
        assert "/v1/workspaces/{id}/agents/{id}/schedules" in routes
        assert not any("agent_a" in str(route) or "ws_ctl" in str(route) for route in routes)  # never ids
        page = controller.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "team" in page.text and "team.yaml" in page.text
        assert controller.stop() == 0


def test_a_ui_edit_is_healed_under_drift_heal_and_left_and_reported_under_drift_report(
    sandbox: Server, platform: Platform, repo: Repo, tmp_path: Path
) -> None:
    repo.commit(
        "two policies",
        {
            "healed.yaml": bundle("healed", [schedule("h", message="as declared")]),
            "reported.yaml": bundle(
                "reported", [schedule("r", agent="agent_b", message="as declared")], drift="report"
            ),
        },
    )
    with running(sandbox.env, *_args(repo, tmp_path)) as controller:
        wait_for(lambda: controller.get("/readyz").status_code == 200, "ready", controller)
        healed_id = platform.active()["h"]["metadata"]["id"]
        reported_id = platform.active("agent_b")["r"]["metadata"]["id"]
        platform.edit_message(healed_id, "edited in the UI")
        platform.edit_message(reported_id, "edited in the UI", agent="agent_b")

        wait_for(
            lambda: controller.events("reconciled", bundle="healed", healed=["h"]), "the heal", controller
        )
        assert platform.message(platform.active()["h"]) == "as declared"
        wait_for(
            lambda: controller.events("reconciled", bundle="reported", result="drift"),
            "the report",
            controller,
        )
        assert platform.message(platform.active("agent_b")["r"]) == "edited in the UI"  # left as it is
        metrics = controller.metrics()
        assert metrics[("reconciler_drifted_schedules", (("bundle", "reported"),))] == 1
        assert metrics[("reconciler_drifted_schedules", (("bundle", "healed"),))] == 0
        assert metrics[("reconciler_bundle_result", (("bundle", "reported"), ("result", "drift")))] == 1
        assert metrics[("reconciler_drift_healed_total", (("bundle", "healed"),))] >= 1
        assert controller.stop() == 0


def test_an_invalid_commit_keeps_the_last_good_state_and_is_reported_at_its_line(
    sandbox: Server, platform: Platform, repo: Repo, tmp_path: Path
) -> None:
    repo.commit("good", {"team.yaml": bundle("team", [schedule("a"), schedule("b")])})
    with running(sandbox.env, *_args(repo, tmp_path)) as controller:
        wait_for(lambda: controller.get("/readyz").status_code == 200, "ready", controller)
        before = platform.schedules()
        broken = bundle("team", [schedule("a", cron="61 9 * * *")])  # and b dropped: must not be archived
        bad = repo.commit("bad cron", {"team.yaml": broken})
        invalid = wait_for(lambda: controller.events("invalid", commit=bad), "the invalid report", controller)
        assert "team.yaml:" in invalid[0]["message"] and "Traceback" not in controller.log()
        wait_for(
            lambda: controller.events("reconciled", bundle="team", result="invalid"),
            "a reconcile",
            controller,
        )
        assert platform.schedules() == before  # nothing half-applied: b kept, a's cron unchanged
        metrics = controller.metrics()
        assert metrics[("reconciler_bundle_result", (("bundle", "team"), ("result", "invalid")))] == 1

        fixed = repo.commit("fixed", {"team.yaml": bundle("team", [schedule("a", cron="5 9 * * *")])})
        done = wait_for(lambda: first_reconcile_after_read(controller, fixed, "team"), "the fix", controller)
        assert done["result"] == "ok"
        assert sorted(platform.active()) == ["a"]
        assert controller.stop() == 0


def test_a_bundle_file_removed_from_the_ref_is_reported_and_its_schedules_left_alone(
    sandbox: Server, platform: Platform, repo: Repo, tmp_path: Path
) -> None:
    repo.commit("two", {"a.yaml": bundle("a", [schedule("x")]), "b.yaml": bundle("b", [schedule("y")])})
    with running(sandbox.env, *_args(repo, tmp_path)) as controller:
        wait_for(lambda: controller.get("/readyz").status_code == 200, "ready", controller)
        repo.commit("remove b", {"b.yaml": None})
        wait_for(lambda: controller.events("bundle_removed", bundle="b"), "the removal report", controller)
        assert sorted(platform.active()) == ["x", "y"]  # not archived: pruning a removed bundle is opt-in
        assert controller.stop() == 0


def test_a_plain_folder_without_git_is_read_again_every_interval(
    sandbox: Server, platform: Platform, tmp_path: Path
) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "team.yaml").write_text(bundle("team", [schedule("a")]))
    with running(sandbox.env, "--repo", str(folder), "--path", ".") as controller:
        wait_for(lambda: "a" in platform.active(), "the first apply", controller)
        (folder / "team.yaml").write_text(bundle("team", [schedule("a"), schedule("b")]))
        wait_for(lambda: "b" in platform.active(), "the edit applied", controller)
        assert controller.stop() == 0


def test_a_shard_reconciles_only_the_bundles_it_owns(
    sandbox: Server, platform: Platform, repo: Repo, tmp_path: Path
) -> None:
    """alpha is in shard 0 of 2 and beta in shard 1 (a stable hash of the bundleKey): replica 0 applies alpha
    only, and never touches beta's schedules."""
    repo.commit(
        "two shards",
        {"alpha.yaml": bundle("alpha", [schedule("x")]), "beta.yaml": bundle("beta", [schedule("y")])},
    )
    with running(sandbox.env, *_args(repo, tmp_path), "--shard", "0/2") as controller:
        wait_for(lambda: controller.get("/readyz").status_code == 200, "ready", controller)
        assert sorted(platform.active()) == ["x"]
        bundles = {
            dict(labels).get("bundle")
            for name, labels in controller.metrics()
            if name == "reconciler_schedules"
        }
        assert bundles == {"alpha"}
        assert controller.stop() == 0
