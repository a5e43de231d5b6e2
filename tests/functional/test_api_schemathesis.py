"""schemathesis against a live solo node: the OpenAPI document says what the API does.

Steps:
1. start a solo ``finchain node`` (a real process, its API on 127.0.0.1);
2. run ``schemathesis run`` on its ``/openapi.json`` with ``schemathesis.toml``
   beside this file: for every operation it draws requests from the document
   (boundary coverage and fuzzing, schema-valid and schema-invalid, a fixed seed,
   derandomized, a bounded number of examples), sends them and checks every
   answer: no 5xx; a documented status; a documented content type; a body, or
   each event of the SSE stream, matching the documented schema; schema-invalid
   input refused; an undeclared method answered 405; schema-valid input accepted,
   unless refused for what no schema can say (``schemathesis_hooks.py``);
3. no failure, no error, and the node still serves.

The schemathesis CLI drives the run, not its pytest plugin, which does not run
under pytest 9 (it sets ``Item._nodeid``, which pytest 9 no longer has).
``FINCHAIN_SCHEMATHESIS_EXAMPLES`` overrides ``max-examples`` for a longer run.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.functional
log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")


def run_schemathesis(url: str, report: Path) -> subprocess.CompletedProcess[str]:
    examples = os.environ.get("FINCHAIN_SCHEMATHESIS_EXAMPLES")
    command = [SCHEMATHESIS, "--no-color", "--config-file", str(CONFIG), "run"]
    command += [f"{url}/openapi.json", "--report", "junit", "--report-dir", str(report)]
    if examples:
        command += ["--max-examples", examples]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SCHEMATHESIS_TELEMETRY": "false"}
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200, check=False
    )


def test_api_answers_as_its_openapi_document_says(node_factory: Any, tmp_path: Path) -> None:
    node, _ = node_factory(accounts=2)
    log.info("step 1: start a solo node")
    node.start()
    log.info("step 2: schemathesis on %s/openapi.json", node.url)
    done = run_schemathesis(node.url, tmp_path / "report")
    summary = done.stdout[done.stdout.rfind("SUMMARY") :]
    log.info("schemathesis summary:\n%s", summary)
    assert done.returncode == 0, f"schemathesis found problems:\n{done.stdout[-20000:]}"
    tested = re.search(r"Tested: (\d+)", summary)
    assert tested is not None and int(tested.group(1)) >= 17, summary
    assert re.search(r"\d+ generated", summary), summary
    assert "failure" not in summary.lower().split("test cases:")[-1], summary
    log.info("step 3: the node still serves")
    assert node.get("/v1/health")["status"] == "ok"
    node.stop()
