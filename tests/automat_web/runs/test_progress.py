"""A run's progress comes from the stages its recorded steps reached, not from a guessed
number of steps: it does not stall near the end while most of the run is still to come."""

from __future__ import annotations

import pytest
from django.urls import reverse

from automat_web.runs import execution
from automat_web.runs.models import Run
from automat_web.runs.progress import STAGES, progress_of
from reconstruction.agent import StepRecord

from .conftest import upload
from .helpers import agent_result

#: The tools of a real rules run that denoised twice, retried STEM2CIF and compared the
#: image as recorded: 11 calls.
RULES_RUN = [
    "denoise", "denoise", "match_templates", "stem2cif", "check", "rollback",
    "stem2cif", "check", "stem2cif", "check", "predict_properties",
]  # fmt: skip


def test_the_stages_are_the_agents_tools_in_their_order() -> None:
    from reconstruction.agent.tools import default_tools

    assert [t for t in default_tools() if t != "rollback"] == list(STAGES)


def test_progress_follows_the_stages_not_the_number_of_calls() -> None:
    values = [progress_of(RULES_RUN[: i + 1]) for i in range(len(RULES_RUN))]
    assert values == sorted(values) and all(0 < v < 1 for v in values)
    assert progress_of(["denoise"] * 6) == progress_of(["denoise"])  # passes are no progress
    first_check = RULES_RUN.index("check")
    assert values[first_check] < 0.8, "a run half done shows nearly finished"
    assert values[first_check] == values[-2]  # retries and rollbacks do not move it
    assert values[-1] > values[-2]  # the energy is the last stage
    assert progress_of([]) == 0.0 and progress_of(["rollback"]) == 0.0


@pytest.mark.django_db
def test_the_run_row_and_page_show_it(client, alice, lab_a, mos2_tiff) -> None:
    run = upload(mos2_tiff, alice, lab_a).runs.get()
    attempt = execution._claim(run.pk, task_id="t", hostname="test@host")
    write = execution._StepWriter(run.pk, attempt)
    seen = []
    for index, tool in enumerate(RULES_RUN):
        write(StepRecord(index=index, tool=tool, args={}, ok=True, summary=tool))
        seen.append(Run.objects.get(pk=run.pk).progress)
    assert seen == [pytest.approx(progress_of(RULES_RUN[: i + 1])) for i in range(len(seen))]
    assert seen[4] < 0.8  # after the first check: 5 calls, formerly shown as 95 %
    client.force_login(alice)
    html = client.get(reverse("runs:panel", args=[run.pk]), HTTP_HX_REQUEST="true").content
    assert f'<progress value="{seen[-1]}"'.encode() in html
    execution._finish(Run.objects.get(pk=run.pk), attempt, agent_result())
    assert Run.objects.get(pk=run.pk).progress == 1.0
