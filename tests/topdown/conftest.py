from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = Path(__file__).parents[2] / "../shared/data"
    if not path.is_dir():
        pytest.skip("../shared/data is not present")
    return path.resolve()
