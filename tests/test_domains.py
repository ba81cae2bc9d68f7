"""ibcore.domains: the two renderings of one dSprites factor grid (chapter 8)."""

import pytest
import torch

from ibcore.data import DSprites
from ibcore.domains import TwoDomainSprites, invert, outline


@pytest.fixture(scope="module", params=["inverted", "outline"])
def two(request):
    return TwoDomainSprites(resolution=32, style=request.param)


def test_domain_a_is_dsprites(two):
    idx = torch.tensor([0, 12345, 737279])
    assert torch.equal(two.images(idx, 0), DSprites(resolution=32).images(idx))


def test_domain_b_is_the_same_scene_rendered_differently(two):
    idx = DSprites(resolution=32).sample_indices(64, torch.Generator().manual_seed(1))
    a, b = two.images(idx, 0), two.images(idx, 1)
    assert b.shape == a.shape == (64, 1, 32, 32)
    assert set(b.unique().tolist()) <= {0.0, 1.0}
    assert not torch.equal(a, b)
    if two.style == "inverted":
        assert torch.equal(b, 1 - a)
    else:  # the outline lies inside the sprite and is never empty
        assert bool((b <= a).all())
        assert bool((b.flatten(1).sum(1) > 0).all())
        assert bool((b.flatten(1).sum(1) < a.flatten(1).sum(1)).any())  # some interior removed


def test_mixed_domains_and_sample(two):
    idx = torch.arange(8) * 1000
    dom = torch.tensor([0, 1] * 4)
    x = two.images(idx, dom)
    assert torch.equal(x[dom == 0], two.images(idx[dom == 0], 0))
    assert torch.equal(x[dom == 1], two.images(idx[dom == 1], 1))
    g = torch.Generator().manual_seed(0)
    images, classes, labels = two.sample(100, g)
    assert images.shape == (100, 1, 32, 32) and classes.shape == (100, 5) and labels.shape == (100,)
    assert 0 < int(labels.sum()) < 100
    again = two.sample(100, torch.Generator().manual_seed(0))
    assert all(torch.equal(u, v) for u, v in zip((images, classes, labels), again))
    only_b = two.sample(10, g, domain=1)
    assert bool((only_b[2] == 1).all())
    with pytest.raises(ValueError):
        two.sample(3, g, domain=2)
    with pytest.raises(ValueError):
        two.images(idx, torch.full((8,), 2))


def test_outline_of_a_square_is_its_border():
    m = torch.zeros(1, 1, 7, 7)
    m[..., 1:6, 1:6] = 1  # a 5x5 square
    o = outline(m)
    assert int(o.sum()) == 16  # 5x5 minus the 3x3 interior
    assert torch.equal(o[..., 2:5, 2:5], torch.zeros(1, 1, 3, 3))
    full = torch.ones(1, 1, 4, 4)  # touching the border: the canvas edge counts as background
    assert int(outline(full).sum()) == 12
    assert torch.equal(invert(m), 1 - m)


def test_bad_style():
    with pytest.raises(ValueError):
        TwoDomainSprites(style="texture")
