"""The distillation tests train small networks: on one thread, so their figures do not depend on the cores."""
import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread(request):
    if not request.node.path.name.startswith(("test_distill", "test_dwpose", "test_cross_distill")):
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
