import pytest
import torch

from ibcore import params, resolve_device, seed_everything


def test_resolve_derives_sizes_from_scale():
    cfg = params.resolve("01", scale="smoke", seed=3, device="cpu", betas=(1.0, 2.0))
    assert cfg.steps == params.CHAPTER_SIZES["01"]["smoke"]["steps"]
    assert cfg.betas == (1.0, 2.0) and cfg.seed == 3 and cfg.device == torch.device("cpu")
    assert not cfg.asserts and params.resolve("01", scale="book", seed=0, device="cpu").asserts


@pytest.mark.parametrize("kwargs, message", [
    (dict(scale="huge"), r"scale must be one of 'smoke', 'book', 'paper'; got 'huge'"),
    (dict(seed=-1), r"seed must be an integer >= 0"),
    (dict(seed=1.5), r"seed must be an integer"),
    (dict(device="tpu"), r"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'"),
])
def test_bad_parameters_name_themselves(kwargs, message):
    base = dict(scale="book", seed=0, device="cpu") | kwargs
    with pytest.raises(ValueError, match=message):
        params.resolve("01", **base)


def test_cuda_on_a_machine_without_it(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="device='cuda' asks for CUDA"):
        resolve_device("cuda")
    assert resolve_device("auto") == torch.device("cpu")


def test_value_checks():
    assert params.check_values("betas", [1, 2], 0, 10, low_open=True) == (1.0, 2.0)
    with pytest.raises(ValueError, match=r"betas\[1\] must lie in \(0.0, 10.0\]"):
        params.check_values("betas", [1, 0], 0.0, 10.0, low_open=True)
    with pytest.raises(ValueError, match="betas needs at least 3 values"):
        params.check_values("betas", [1], 0, 10, min_count=3)
    with pytest.raises(ValueError, match="betas must be a list"):
        params.check_values("betas", "1,2", 0, 10)
    with pytest.raises(ValueError, match="arch must be one of"):
        params.check_choice("arch", "vgg", ("burgess", "mlp"))
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        params.check_int("steps", 0)


def test_seed_everything_repeats():
    seed_everything(5)
    a = torch.randn(3)
    seed_everything(5)
    assert torch.equal(a, torch.randn(3))
    assert torch.get_num_threads() >= 1
