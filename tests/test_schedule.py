"""Scheduling: the cron schedule object, the deployment declarations, `opengap serve` argument checks."""

from __future__ import annotations

import importlib

import pytest
import yaml
from typer.testing import CliRunner

from conftest import REPO
from flows.schedule import DEFAULT_CRON, nightly_deployment, nightly_schedule
from opengap.cli import app
from opengap.errors import OpengapError


def test_default_schedule_is_six_utc_and_configurable():
    default = nightly_deployment()
    (schedule,) = default.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == (DEFAULT_CRON, "UTC") == ("0 6 * * *", "UTC")
    custom = nightly_deployment("30 2 * * 1-5", "Europe/Paris", {"sources": ["lmarena"]})
    (schedule,) = custom.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("30 2 * * 1-5", "Europe/Paris")
    assert custom.parameters == {"sources": ["lmarena"]} and custom.name == "opengap-nightly"


def test_bad_cron_or_timezone_is_a_clear_error():
    with pytest.raises(OpengapError, match="not a valid cron"):
        nightly_schedule("every night", "UTC")
    with pytest.raises(OpengapError, match="not an IANA time zone"):
        nightly_schedule("0 6 * * *", "Mars/Olympus")
    result = CliRunner().invoke(app, ["serve", "--timezone", "Mars/Olympus"])
    assert result.exit_code == 1 and "not an IANA time zone" in result.output


def test_prefect_yaml_declares_nightly_and_backfill_deployments():
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    deployments = {d["name"]: d for d in spec["deployments"]}
    assert set(deployments) == {"opengap-nightly", "opengap-backfill"}
    nightly = deployments["opengap-nightly"]
    assert nightly["schedules"] == [{"cron": "0 6 * * *", "timezone": "UTC", "active": True}]
    assert deployments["opengap-backfill"]["schedules"] == []
    for deployment, flow_name in ((nightly, "nightly"), (deployments["opengap-backfill"], "backfill")):
        path, attr = deployment["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert getattr(module, attr).name == flow_name
