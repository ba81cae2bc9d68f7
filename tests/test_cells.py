"""Chapter 7's grid of object cells: shapes, the geometry of cells, crops and glimpses, the mixture likelihood
against closed forms, the schedules and the checks of bad input."""

import math

import pytest
import torch

from ibcore.cells import (GridAE, GridAEConfig, adam_warmup_cosine, gaussian_vae_loss, mixture_nll,
                          presence_schedule, random_batches, top_cells, train_grid_ae)
from ibcore.data import MultiSprites


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    return MultiSprites().sample(16, torch.Generator().manual_seed(0)).images


def test_shapes_masks_and_posterior(images):
    torch.manual_seed(0)
    model = GridAE(GridAEConfig(cells=4, what=6))
    out = model(images)
    assert out["mean"].shape == (16, 1, 32, 32) and out["masks"].shape == out["means"].shape == (16, 17, 32, 32)
    assert out["mu"].shape == out["logvar"].shape == out["z"].shape == (16, 16, 8)
    assert out["presence"].shape == out["gate"].shape == (16, 16)
    # in training the gate is a relaxed (continuous) sample; in evaluation it is 0 or 1
    assert ((out["gate"] > 0) & (out["gate"] < 1)).any()
    torch.testing.assert_close(out["masks"].sum(1), torch.ones(16, 32, 32))
    post = model.posterior(images, batch_size=5)
    assert set(((post["presence"] > 0.5).float()).unique().tolist()) <= {0.0, 1.0}
    assert post["mu"].shape == (16, 16, 8) and post["masks"].shape == (16, 17, 32, 32)
    assert model.training  # posterior restores the mode


def test_cell_geometry_and_glimpse_locality():
    model = GridAE(GridAEConfig(cells=4, glimpse=14, shift=1.0))
    # cell centres, row-major: cell 0 at pixel (4, 4), cell 5 at (12, 12), cell 15 at (28, 28)
    px = (model.centres + 1) * 16 - 0.5
    assert torch.allclose(px[0], torch.tensor([3.5, 3.5])) and torch.allclose(px[15], torch.tensor([27.5, 27.5]))
    # an object's centre stays within `shift` cells of its cell's centre, whatever z_where
    far = model.where(torch.full((1, 16, 2), 50.0))
    assert torch.allclose(far - model.centres, torch.full((1, 16, 2), 0.5))  # one cell = 0.5 in [-1, 1]
    # a cell paints nothing outside its glimpse: cell 0 at its centre covers pixels 0..10 at most
    z = torch.zeros(1, 16, 8)
    gate = torch.zeros(1, 16)
    gate[0, 0] = 1
    masks = model.decode(z, gate)["masks"][0]
    assert masks[0, 12:].max() < 1e-3 and masks[0, :, 12:].max() < 1e-3
    assert masks[1:16].max() == 0  # absent cells paint nothing (their share goes to the background)


def test_crop_is_the_window_at_z_where():
    """z_what is read from the glimpse-sized crop centred at each cell's object centre: a bright square at
    pixels 4..7 lands at glimpse pixels 7..10 of cell 0's crop (centre at pixel 3.5 + 0.5)."""
    model = GridAE(GridAEConfig(cells=4, glimpse=14))
    x = torch.zeros(1, 1, 32, 32)
    x[0, 0, 4:8, 4:8] = 1
    seen = {}
    model.what_encoder.register_forward_hook(lambda m, inp, out: seen.update(crops=inp[0][..., :14 * 14]))
    model.encode(x)
    crop = seen["crops"][0, 0].view(14, 14)
    nz = (crop > 0.5).nonzero()  # (bilinear: the untrained head offsets z_where by a hair)
    assert nz.min(0).values.tolist() == [7, 7] and nz.max(0).values.tolist() == [10, 10]
    assert seen["crops"][0, 15].abs().max() < 1e-6  # cell 15's crop (bottom right) sees none of it


def test_mixture_nll_closed_forms():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(3, 1, 4, 4, generator=g)
    mean = torch.rand(3, 1, 4, 4, generator=g)
    sigma = 0.2
    one = mixture_nll(x, torch.ones_like(mean), mean, sigma)
    closed = (0.5 * ((x - mean) / sigma) ** 2 + math.log(sigma * math.sqrt(2 * math.pi))).sum((1, 2, 3)).mean()
    torch.testing.assert_close(one, closed)
    torch.testing.assert_close(one, -torch.distributions.Normal(mean, sigma).log_prob(x).sum((1, 2, 3)).mean())
    # two components with the same mean are one component, whatever the masks
    m = torch.rand(3, 1, 4, 4, generator=g)
    two = mixture_nll(x, torch.cat([m, 1 - m], 1), torch.cat([mean, mean], 1), sigma)
    torch.testing.assert_close(two, one)
    # a pixel split evenly between a right and a far-off component pays log 2 per pixel
    far = mean + 10.0
    split = mixture_nll(x, torch.full((3, 2, 4, 4), 0.5), torch.cat([mean, far], 1), sigma)
    torch.testing.assert_close(split, one + 16 * math.log(2))
    with pytest.raises(ValueError, match="sigma"):
        mixture_nll(x, torch.ones_like(mean), mean, 0.0)


def test_gaussian_vae_loss_terms():
    x = torch.rand(2, 1, 4, 4)
    logits, mu, logvar = torch.zeros(2, 1, 4, 4), torch.ones(2, 3), torch.zeros(2, 3)
    out = gaussian_vae_loss(logits, x, mu, logvar, beta=2.0, sigma=0.5)
    torch.testing.assert_close(out["kl"], torch.tensor(1.5))  # 3 latents x mu^2 / 2
    torch.testing.assert_close(out["loss"], out["rec"] + 2.0 * out["kl"])


def test_top_cells():
    masks = torch.softmax(torch.randn(2, 5, 3, 3), 1)
    appearance = torch.rand(2, 4, 3, 3)
    presence = torch.tensor([[0.1, 0.9, 0.5, 0.2], [0.7, 0.0, 0.0, 0.8]])
    top, app = top_cells(masks, appearance, presence, k=2)
    assert torch.equal(top[0, 0], masks[0, 1]) and torch.equal(top[1, 0], masks[1, 3])
    assert torch.equal(app[0, 1], appearance[0, 2])
    torch.testing.assert_close(top.sum(1), torch.ones(2, 3, 3))
    with pytest.raises(ValueError, match="k must"):
        top_cells(masks, appearance, presence, k=5)


def test_schedules():
    assert presence_schedule(1, 100, (0.5, 0.1), hold=0.2, anneal_end=0.6) == 0.5
    assert presence_schedule(20, 100, (0.5, 0.1), hold=0.2, anneal_end=0.6) == 0.5
    assert math.isclose(presence_schedule(40, 100, (0.5, 0.1), hold=0.2, anneal_end=0.6), math.sqrt(0.05))
    assert math.isclose(presence_schedule(90, 100, (0.5, 0.1), hold=0.2, anneal_end=0.6), 0.1)
    model = torch.nn.Linear(2, 1)
    opt, sched = adam_warmup_cosine(model, steps=100, lr=1.0, warmup=0.1, clip=None)
    lrs = []
    for _ in range(100):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert math.isclose(lrs[0], 0.1) and math.isclose(lrs[9], 1.0) and math.isclose(lrs[10], 1.0)
    assert lrs[-1] < 0.01 and all(a >= b for a, b in zip(lrs[10:], lrs[11:]))
    # the same seed gives the same batches
    imgs = torch.arange(10.0)
    a, b = random_batches(imgs, 4, seed=3), random_batches(imgs, 4, seed=3)
    assert torch.equal(a(1), b(1)) and torch.equal(a(2), b(2))


def test_clipping_bounds_the_gradient():
    model = torch.nn.Linear(3, 1)
    opt, _ = adam_warmup_cosine(model, steps=10, clip=0.5)
    (1000 * model(torch.ones(1, 3))).sum().backward()
    opt.step()
    norm = torch.sqrt(sum(p.grad.pow(2).sum() for p in model.parameters()))
    assert norm <= 0.5 + 1e-5


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="cells"):
        GridAE(GridAEConfig(canvas=32, cells=3))
    with pytest.raises(ValueError, match="canvas"):
        GridAE(GridAEConfig(canvas=30))
    with pytest.raises(ValueError, match="glimpse"):
        GridAE(GridAEConfig(glimpse=2))
    with pytest.raises(ValueError, match="shift"):
        GridAE(GridAEConfig(shift=0.0))
    with pytest.raises(ValueError, match="what"):
        GridAE(GridAEConfig(what=0))
    with pytest.raises(ValueError, match="warmup"):
        adam_warmup_cosine(torch.nn.Linear(1, 1), steps=10, warmup=1.0)
    with pytest.raises(ValueError, match="clip"):
        adam_warmup_cosine(torch.nn.Linear(1, 1), steps=10, clip=0.0)


def test_training_lowers_the_loss(images):
    """A few steps on 16 scenes: the loss falls (the recipe trains at all); the history logs the schedules."""
    torch.manual_seed(0)
    model = GridAE(GridAEConfig())
    hist = train_grid_ae(model, images, steps=40, batch_size=8, lr=3e-3, sigma=0.1, log_every=10)
    assert list(hist["step"]) == [10, 20, 30, 40]
    assert hist["loss"].iloc[-1] < hist["loss"].iloc[0]
    assert hist["prior"].iloc[-1] == pytest.approx(0.1) and hist["tau"].iloc[-1] == pytest.approx(0.5)
