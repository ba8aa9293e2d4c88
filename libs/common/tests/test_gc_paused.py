"""Bulk jobs pause the cyclic collector; it resumes when the last of them ends, even after an error."""

from __future__ import annotations

import gc

import pytest

from libs.common.runtime import gc_paused


def test_nested_pauses_resume_at_the_end() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with pytest.raises(RuntimeError), gc_paused():
            raise RuntimeError("job failed")
        assert not gc.isenabled()  # the outer job still runs
    assert gc.isenabled()
