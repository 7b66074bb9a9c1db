import threading

from portrait3d_blender.core import jobs, pipeline
from portrait3d_blender.core.image import PhotoError
from tests.conftest import GRACE_HOPPER


def test_job_analyses_off_the_calling_thread():
    seen_threads = []
    original = pipeline.segment.person_mask

    def recording_mask(rgb):
        seen_threads.append(threading.current_thread().name)
        return original(rgb)

    pipeline.segment.person_mask = recording_mask
    try:
        job = jobs.AnalysisJob(GRACE_HOPPER).start()
        assert job.wait(timeout=120)
    finally:
        pipeline.segment.person_mask = original
    assert job.error is None and job.result.person_found
    assert job.progress == 1.0
    assert seen_threads == ["portrait3d-analysis"]


def test_cancelled_job_stops_with_cancelled():
    job = jobs.AnalysisJob(GRACE_HOPPER)
    job.cancel()
    job.start()
    assert job.wait(timeout=60)
    assert isinstance(job.error, pipeline.Cancelled) and job.result is None


def test_job_hands_errors_to_the_caller(tmp_path):
    job = jobs.AnalysisJob(tmp_path / "missing.jpg").start()
    assert job.wait(timeout=60)
    assert isinstance(job.error, PhotoError)
