"""The rollups kept by single writes, each test in its own transaction (test_rollups.py shares one
busy transaction between its tests)."""

import pytest

from core import stage_editor
from core.errors import ValidationError
from db.rollups.sources import MAX_OPEN_STAGES


def test_a_pipeline_keeps_at_most_62_open_stages(session, world):
    names = [f"Step {n}" for n in range(MAX_OPEN_STAGES)]
    with pytest.raises(ValidationError) as refused:
        stage_editor.create_pipeline(
            session, world.admin, "Too long", open_stages=[*names, "One more"], won="W", lost=["L"]
        )
    assert "at most 62 open stages" in refused.value.errors["stages"]
    pipeline_id = stage_editor.create_pipeline(session, world.admin, "Long", open_stages=names, won="W", lost=["L"])
    with pytest.raises(ValidationError) as refused:
        stage_editor.add_stage(
            session, world.admin, pipeline_id, stage_editor.pipeline_version(session, pipeline_id), name="Step 62"
        )
    assert "deleted ones included" in refused.value.errors["name"]
