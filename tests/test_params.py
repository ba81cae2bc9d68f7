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
        params.check_values("betas", "1 2", 0, 10)
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


def test_list_parameters_accept_text_lists():
    # papermill's -p passes "[0.1, 0.5]" as text
    assert params.check_values("betas", "[0.1, 0.5]", 0, 10) == (0.1, 0.5)
    assert params.check_values("betas", [4, 1, 2], 0, 10, sort=True) == (1.0, 2.0, 4.0)
    assert params.as_list("betas", (1, 2)) == [1, 2]


@pytest.mark.parametrize("value", [0.1, "abc", "0.1"])
def test_a_scalar_where_a_list_is_expected_names_the_parameter_and_shows_how(value):
    with pytest.raises(ValueError, match=r'^betas must be a list of numbers.*-y "betas: \[0.1, 0.5\]"'):
        params.check_values("betas", value, 0, 10)


def test_injected_names_reads_papermills_cell():
    history = ["", "seed = 0\nscale = 'book'", "# Parameters\nsead = 3\nscale = \"smoke\"\n", "from ibcore import params"]
    assert params.injected_names(history) == ["sead", "scale"]
    assert params.injected_names(["seed = 0"]) == []


def test_unknown_parameter_names_itself_and_lists_the_chapters(monkeypatch):
    monkeypatch.setattr(params, "_ipython_history", lambda: ["# Parameters\nsead = 3\n"])
    with pytest.raises(ValueError) as err:
        params.resolve("01", scale="smoke", seed=0, device="cpu", betas=(1.0, 2.0), arch="mlp")
    message = str(err.value)
    assert message.startswith("unknown parameter 'sead' (did you mean 'seed'?) for chapter 01")
    assert message.endswith("its parameters are: seed, scale, device, betas, arch")
    monkeypatch.setattr(params, "_ipython_history", lambda: ["# Parameters\nseed = 3\nbetas = [1, 2]\n"])
    assert params.resolve("01", scale="smoke", seed=3, device="cpu", betas=(1.0, 2.0)).seed == 3


def test_config_displays_as_a_small_table():
    cfg = params.resolve("01", scale="book", seed=0, device="cpu", betas=(1.0, 2.0, 4.0), arch="burgess")
    text = repr(cfg)
    assert text.splitlines()[0] == "Config(chapter '01', scale 'book', seed 0, device cpu)"
    assert max(map(len, text.splitlines())) <= 90 and "betas=[1, 2, 4]" in text
    table = cfg._repr_html_()
    assert table.startswith('<table class="ibcore-config">') and table.count("<tr>") == 1 + len(cfg.rows())
    assert f"<td><code>steps</code></td><td>{cfg.steps}</td><td>scale &#x27;book&#x27;</td>" in table
