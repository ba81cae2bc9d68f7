import numpy as np
import pytest
import torch

from ibcore.data import DSprites


@pytest.fixture(scope="module")
def ds():
    return DSprites(resolution=64)


def test_factor_grid_matches_deepmind(ds):
    assert len(ds) == 737_280
    assert ds.factor_names == ("shape", "scale", "orientation", "posX", "posY")
    assert ds.factor_sizes == (3, 6, 40, 32, 32)
    values = ds.factor_values
    np.testing.assert_allclose(values[1], np.linspace(0.5, 1, 6))
    np.testing.assert_allclose(values[2], np.linspace(0, 2 * np.pi, 40))
    np.testing.assert_allclose(values[3], np.linspace(0, 1, 32))


def test_index_order(ds):
    classes = torch.tensor([[2, 3, 17, 5, 29], [0, 0, 0, 0, 1], [1, 5, 39, 31, 31]])
    expected = classes @ torch.tensor([245760, 40960, 1024, 32, 1])
    assert torch.equal(ds.index(classes), expected)
    assert torch.equal(ds.classes(expected), classes)
    assert ds.classes([len(ds) - 1]).tolist() == [[2, 5, 39, 31, 31]]
    with pytest.raises(IndexError):
        ds.images([len(ds)])


def test_values_follow_classes(ds):
    idx = ds.sample_indices(50, torch.Generator().manual_seed(0))
    c, v = ds.classes(idx), ds.values(idx)
    assert v.shape == (50, 5)
    np.testing.assert_allclose(v[:, 0], c[:, 0] + 1)
    np.testing.assert_allclose(v[:, 3], c[:, 3] / 31, atol=1e-6)


def test_images_binary_deterministic(ds):
    idx = ds.sample_indices(64, torch.Generator().manual_seed(1))
    x = ds.images(idx)
    assert x.shape == (64, 1, 64, 64) and x.dtype == torch.float32
    assert set(x.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(x, ds.images(idx))
    assert (x.sum((1, 2, 3)) > 0).all()


@pytest.mark.parametrize("resolution", [32, 64])
def test_sprites_never_clipped_by_the_frame(resolution):
    ds = DSprites(resolution)
    grid = torch.cartesian_prod(torch.arange(3), torch.arange(6), torch.arange(40))  # every sprite
    sums = {}
    for px, py in [(0, 0), (31, 31), (0, 31), (31, 0), (15, 16)]:
        classes = torch.cat([grid, torch.tensor([[px, py]]).expand(len(grid), 2)], 1)
        sums[(px, py)] = ds.images(ds.index(classes)).sum((1, 2, 3))
    for key, s in sums.items():  # the same number of pixels wherever the sprite stands
        assert torch.equal(s, sums[(15, 16)]), key


def test_factors_change_the_image(ds):
    base = torch.tensor([[1, 3, 5, 10, 10]])
    ref = ds.images(ds.index(base))
    for f in range(5):
        other = base.clone()
        other[0, f] += 7 if f >= 2 else 1
        assert not torch.equal(ds.images(ds.index(other)), ref), ds.factor_names[f]
    # scale grows the sprite
    sizes = [ds.images(ds.index(torch.tensor([[0, s, 0, 10, 10]]))).sum() for s in range(6)]
    assert all(a < b for a, b in zip(sizes, sizes[1:]))


def test_render_all_packed_shape():
    ds = DSprites(32)
    packed = ds.render_all(chunk=65536)
    assert packed.shape == (737_280, 32 * 32 // 8)
    idx = torch.tensor([0, 12345, 737_279])
    unpacked = np.unpackbits(packed[idx.numpy()], axis=1).reshape(3, 1, 32, 32)
    np.testing.assert_array_equal(unpacked, ds.images(idx).numpy())


def test_split_holds_out_distinct_indices_never_in_the_training_stream(ds):
    train, held = ds.split(5000, seed=3)
    assert len(held) == 5000 and len(torch.unique(held)) == 5000
    assert len(train) + len(held) == len(ds)
    assert not np.isin(held.numpy(), train.numpy()).any()
    again_train, again_held = ds.split(5000, seed=3)
    assert torch.equal(held, again_held) and torch.equal(train, again_train)
    stream = ds.sample_indices(20000, torch.Generator().manual_seed(0), pool=train)
    assert not np.isin(stream.numpy(), held.numpy()).any()
    # the held-out set is a uniform draw: every factor's classes are all represented
    c = ds.classes(held)
    for k, size in enumerate(ds.factor_sizes):
        assert len(torch.unique(c[:, k])) == size
    with pytest.raises(ValueError, match="n_held_out"):
        ds.split(0)
