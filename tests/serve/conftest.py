"""An in-process server (FastAPI TestClient over httpx) with the default model, and the real test images."""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COCO = sorted((ROOT / "data" / "mmpose_tests" / "coco").glob("*.jpg"))
VIDEO = ROOT / "data" / "mmpose_tests" / "posetrack18" / "videos" / "000001_mpiinew_test" / "000001_mpiinew_test.mp4"


def make_client(**config):
    import torch

    torch.set_num_threads(1)
    with warnings.catch_warnings():  # starlette suggests httpx2 over httpx for its TestClient
        warnings.filterwarnings("ignore", message=".*httpx2")
        from fastapi.testclient import TestClient

    from posekit.serve.app import create_app
    from posekit.serve.limits import ServeConfig

    return TestClient(create_app(ServeConfig(**config)))


@pytest.fixture(scope="module")
def client():
    with make_client() as c:
        yield c


@pytest.fixture(scope="session")
def image_bytes() -> bytes:
    return COCO[0].read_bytes()


@pytest.fixture(scope="session")
def direct():
    """The records of the library alone (posekit.load + read_image + results_to_records): the reference."""
    import posekit
    from posekit.data.images import read_image
    from posekit.data.results import results_to_records

    est = posekit.load("openpose-lightweight")
    cache = {}

    def records(path_or_image):
        key = str(path_or_image) if isinstance(path_or_image, Path) else None
        if key in cache:
            return cache[key]
        image = read_image(path_or_image) if key else path_or_image
        result = est.predict(image, image_id=0)
        out = results_to_records([result], view="coco17"), result, image
        if key:
            cache[key] = out
        return out

    return records
