"""Chapter 7's multi-object scenes, its object model, loss and segmentation metrics."""

import numpy as np
import pytest
import torch
from sklearn.metrics import adjusted_rand_score

from ibcore.data import MultiSprites
from ibcore.scenes import Scenes, grid_partition


@pytest.fixture(scope="module")
def scenes() -> Scenes:
    return MultiSprites().sample(512, torch.Generator().manual_seed(0))


def test_shapes_and_counts(scenes):
    n = len(scenes)
    assert scenes.images.shape == (n, 1, 32, 32) and scenes.images.dtype == torch.float32
    assert scenes.masks.shape == (n, 3, 32, 32) and scenes.masks.dtype == torch.bool
    assert scenes.classes.shape == scenes.factors.shape == (n, 3, 6)
    assert set(scenes.counts.unique().tolist()) == {1, 2, 3}
    assert torch.equal(scenes.present.sum(1), scenes.counts)
    # objects fill the first `count` rows; absent rows are empty, classes -1, factors 0
    assert torch.equal(scenes.present, torch.arange(3)[None] < scenes.counts[:, None])
    absent = ~scenes.present
    assert not scenes.masks[absent].any()
    assert (scenes.classes[absent] == -1).all() and (scenes.factors[absent] == 0).all()


def test_masks_partition_the_foreground(scenes):
    """Masks are disjoint, cover exactly the non-zero pixels, and each pixel has its object's intensity."""
    m = scenes.masks.long()
    assert m.sum(1).max() <= 1
    assert torch.equal(scenes.masks.any(1), scenes.images[:, 0] > 0)
    intensity = (m * scenes.factors[..., 5, None, None]).sum(1)
    assert torch.equal(intensity, scenes.images[:, 0])
    labels = scenes.labels()
    assert labels.shape == (len(scenes), 32, 32) and int(labels.max()) == 3
    assert torch.equal(labels > 0, scenes.masks.any(1))


def test_every_object_visible(scenes):
    ms = MultiSprites()
    area = ms._area[(scenes.classes[..., 0].clamp_min(0) * 6 + scenes.classes[..., 1].clamp_min(0)) * 40
                    + scenes.classes[..., 2].clamp_min(0)]
    visible = scenes.masks.flatten(2).sum(2)
    present = scenes.present
    assert (visible[present] >= 0.5 * area[present]).all() and (visible[present] > 0).all()


def test_factor_ranges(scenes):
    ms = MultiSprites()
    c, f, p = scenes.classes, scenes.factors, scenes.present
    for j, size in enumerate(ms.factor_sizes):
        assert int(c[..., j][p].min()) >= 0 and int(c[..., j][p].max()) < size
        values = torch.as_tensor(ms.factor_values[j], dtype=torch.float32)
        assert torch.equal(f[..., j][p], values[c[..., j][p]])
    assert set(f[..., 0][p].unique().tolist()) == {1.0, 2.0, 3.0}
    assert 0.5 <= float(f[..., 1][p].min()) and float(f[..., 1][p].max()) <= 1.0
    assert float(f[..., 3][p].min()) == 0.0 and float(f[..., 3][p].max()) == 1.0
    # intensities differ within every scene
    for k in (2, 3):
        s = c[scenes.counts == k][:, :k, 5]
        assert (s.sort(1).values.diff(dim=1) > 0).all()


def test_deterministic_per_seed():
    ms = MultiSprites()
    a = ms.sample(64, torch.Generator().manual_seed(3))
    b = ms.sample(64, torch.Generator().manual_seed(3))
    c = ms.sample(64, torch.Generator().manual_seed(4))
    assert torch.equal(a.images, b.images) and torch.equal(a.classes, b.classes)
    assert not torch.equal(a.images, c.images)


def test_fixed_count_and_four_objects():
    ms = MultiSprites(max_objects=4)
    s = ms.sample(128, torch.Generator().manual_seed(0), count=4)
    assert (s.counts == 4).all() and s.masks.shape[1] == 4
    assert (s.masks.flatten(2).sum(2) > 0).all()
    sub = s[:10]
    assert len(sub) == 10 and torch.equal(sub.images, s.images[:10])


@pytest.mark.parametrize("kwargs, name", [
    (dict(canvas=8), "canvas"), (dict(canvas=32.5), "canvas"), (dict(sprite=7), "sprite"),
    (dict(sprite=40), "sprite"), (dict(max_objects=5), "max_objects"), (dict(min_objects=0), "min_objects"),
    (dict(min_objects=3, max_objects=2), "min_objects"), (dict(min_visible=1.0), "min_visible"),
])
def test_bad_parameters_name_themselves(kwargs, name):
    with pytest.raises(ValueError, match=name):
        MultiSprites(**kwargs)


def test_bad_sample_arguments():
    ms = MultiSprites()
    with pytest.raises(ValueError, match="count"):
        ms.sample(4, count=4)
    with pytest.raises(ValueError, match="n must"):
        ms.sample(0)


def test_grid_partition():
    assert torch.equal(grid_partition(4, 4), torch.tensor([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]))
    assert torch.equal(grid_partition(3, 3), torch.tensor([[0, 1, 2]] * 3))
    assert grid_partition(1, 32).unique().tolist() == [0]
    assert grid_partition(5, 32).unique().tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="segments"):
        grid_partition(0, 32)


# --- chapter 7's object model, its loss and the segmentation metrics -------------------------------------

from ibcore.losses import gaussian_kl, slot_vae_loss  # noqa: E402
from ibcore.metrics import active_slots, adjusted_rand_index, fg_ari, match_objects, ridge_r2  # noqa: E402
from ibcore.models import VAE, SlotAE, SlotAEConfig, VAEConfig  # noqa: E402


def test_ari_hand_computed_case():
    # true {0,0,1,1}, pred {0,0,0,1}: n_ij = [[2,0],[1,1]], sum C(n_ij) = 1, sum C(a) = 2, sum C(b) = 3,
    # C(n) = 6, E = 2*3/6 = 1, max = 2.5, ARI = (1 - 1) / (2.5 - 1) = 0
    assert float(adjusted_rand_index(torch.tensor([[0, 0, 1, 1]]), torch.tensor([[0, 0, 0, 1]]))) == 0.0
    # true {0,0,0,1,1,1}, pred {0,0,1,1,2,2}: sum C(n_ij) = 2, sum C(a) = 6, sum C(b) = 3, C(n) = 15,
    # E = 18/15 = 1.2, max = 4.5, ARI = 0.8 / 3.3 = 8/33
    value = float(adjusted_rand_index(torch.tensor([[0, 0, 0, 1, 1, 1]]), torch.tensor([[0, 0, 1, 1, 2, 2]])))
    assert value == pytest.approx(8 / 33, abs=1e-12)
    assert value == pytest.approx(adjusted_rand_score([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]), abs=1e-12)
    # label names do not matter; one cluster each is a perfect match (1, as scikit-learn)
    assert float(adjusted_rand_index(torch.tensor([[0, 0, 1, 1]]), torch.tensor([[3, 3, 2, 2]]))) == 1.0
    assert float(adjusted_rand_index(torch.tensor([[1, 1, 1]]), torch.tensor([[0, 0, 0]]))) == 1.0


def test_ari_matches_sklearn_on_random_labelings():
    g = torch.Generator().manual_seed(0)
    for _ in range(100):
        n = int(torch.randint(1, 40, (1,), generator=g))
        a = torch.randint(0, int(torch.randint(1, 5, (1,), generator=g)), (1, n), generator=g)
        b = torch.randint(0, int(torch.randint(1, 6, (1,), generator=g)), (1, n), generator=g)
        assert float(adjusted_rand_index(a, b)) == pytest.approx(adjusted_rand_score(a[0], b[0]), abs=1e-10)


def test_fg_ari_matches_sklearn_on_foreground_pixels(scenes):
    s = scenes[:40]
    labels = s.labels()
    g = torch.Generator().manual_seed(1)
    noisy = torch.where(torch.rand(labels.shape, generator=g) < 0.2, torch.randint(0, 5, labels.shape, generator=g), labels)
    for pred in (labels, noisy, grid_partition(4, 32).expand_as(labels)):
        ours = fg_ari(labels, pred)
        for i in range(len(s)):
            fg = labels[i] > 0
            expected = adjusted_rand_score(labels[i][fg].numpy(), pred[i][fg].numpy())
            assert float(ours[i]) == pytest.approx(expected, abs=1e-10)
    assert (fg_ari(labels, labels) == 1).all()
    # background pixels do not count: relabelling them changes nothing
    assert torch.equal(fg_ari(labels, torch.where(labels > 0, labels, 7)), fg_ari(labels, labels))
    # the one-segment partition scores 0 on every scene with two objects or more
    multi = s.counts >= 2
    assert (fg_ari(labels, torch.zeros_like(labels))[multi] == 0).all()


def test_match_objects_and_active_slots(scenes):
    s = scenes[:30]
    labels = s.labels()  # 0 background, 1..3 objects
    perm = torch.tensor([3, 2, 0, 1])  # segment ids of background, object 0, 1, 2
    matched = match_objects(perm[labels], s.masks, segments=4)
    expect = torch.where(s.present, perm[1:].expand(len(s), 3), -1)
    assert torch.equal(matched, expect)
    masks = torch.nn.functional.one_hot(torch.where(labels > 0, labels - 1, 3), 4).permute(0, 3, 1, 2).float()
    assert torch.equal(active_slots(masks, min_pixels=1), s.counts)


def test_ridge_r2_reads_a_linear_code():
    g = np.random.default_rng(0)
    x = g.normal(size=(400, 5))
    y = np.stack([x[:, 0] * 2 + 0.01 * g.normal(size=400), g.normal(size=400)], 1)
    r2 = ridge_r2(x[:300], y[:300], x[300:], y[300:])
    assert r2[0] > 0.99 and abs(r2[1]) < 0.1


def test_slot_ae_shapes_and_masks():
    torch.manual_seed(0)
    cfg = SlotAEConfig(slots=4, what=6)
    model = SlotAE(cfg)
    x = MultiSprites().sample(8, torch.Generator().manual_seed(0)).images
    out = model(x)
    assert out["mean"].shape == (8, 1, 32, 32) and out["masks"].shape == (8, 5, 32, 32)
    assert out["appearance"].shape == (8, 4, 32, 32)
    assert out["mu"].shape == out["logvar"].shape == out["z"].shape == (8, 4, 8)
    assert out["attn"].shape == (8, 64, 5)
    assert out["presence"].shape == out["gate"].shape == (8, 4)
    assert set(out["gate"].detach().unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(out["masks"].sum(1), torch.ones(8, 32, 32))
    assert (out["mean"] > 0).all() and (out["mean"] < 1).all()
    post = model.posterior(x, batch_size=3)
    assert post["mu"].shape == (8, 4, 8) and post["masks"].shape == (8, 5, 32, 32)
    # a slot paints nothing outside its glimpse: a glimpse of 16 px centred at the canvas centre
    z = torch.zeros(1, 4, 8)
    z[0, 1:, :2] = 5.0  # the other slots far outside the canvas
    masks = model.decode(z)["masks"][0]
    assert masks[0, :8].max() < 1e-3 and masks[0, 8:24, 8:24].min() > 0
    # an absent slot paints nothing, whatever its mask logits: its share goes to the background
    gated = model.decode(z, torch.tensor([[0.0, 1.0, 1.0, 1.0]]))["masks"][0]
    assert gated[0].max() == 0 and torch.allclose(gated[-1], masks[-1] + masks[0])
    with pytest.raises(ValueError, match="stride"):
        SlotAE(SlotAEConfig(stride=3))


def test_slot_vae_loss_terms():
    g = torch.Generator().manual_seed(2)
    x = torch.rand(5, 1, 8, 8, generator=g)
    mean = torch.rand(5, 1, 8, 8, generator=g) * 0.9 + 0.05
    mu, logvar = torch.randn(5, 3, 4, generator=g), torch.randn(5, 3, 4, generator=g)
    out = slot_vae_loss({"mean": mean, "mu": mu, "logvar": logvar}, x, beta=2.0)
    rec = -(x * mean.log() + (1 - x) * (1 - mean).log()).sum((1, 2, 3)).mean()
    kl = gaussian_kl(mu, logvar)
    torch.testing.assert_close(out["rec"], rec)
    torch.testing.assert_close(out["kl"], kl.sum((1, 2)).mean())
    torch.testing.assert_close(out["kl_where"] + out["kl_what"], out["kl"])
    torch.testing.assert_close(out["kl_per_slot"].sum(), out["kl"])
    assert (out["kl_per_slot"].diff() <= 0).all()
    torch.testing.assert_close(out["loss"], rec + 2.0 * out["kl"])


def test_matched_capacity_control():
    """The single-vector control has as many latents as all slots together (chapter 7)."""
    cfg = SlotAEConfig()
    vae = VAE(VAEConfig(resolution=32, latents=cfg.slots * cfg.latent))
    mu, _ = vae.encode(torch.zeros(2, 1, 32, 32))
    assert mu.shape == (2, cfg.slots * cfg.latent)


def test_match_objects_ignores_the_background_component(scenes):
    s = scenes[:30]
    labels = s.labels()
    pred = torch.where(labels > 0, labels - 1, 4)  # objects -> slots 0..2, background -> component 4 (none)
    matched = match_objects(pred, s.masks, segments=4)
    assert torch.equal(matched, torch.where(s.present, torch.arange(3).expand(len(s), 3), -1))
