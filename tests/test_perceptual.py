"""LPIPS with the shipped AlexNet weights reproduces the upstream reference values."""
import numpy as np
import pytest
import torch
from PIL import Image

from inversion.perceptual import LPIPS
from tests.conftest import FIXTURES


def load(name: str) -> torch.Tensor:
    arr = np.asarray(Image.open(FIXTURES / "lpips" / f"{name}.png").convert("RGB"), np.float32)
    return torch.from_numpy(arr).permute(2, 0, 1)[None] / 127.5 - 1  # (1, 3, 64, 64) in [-1, 1]


@pytest.fixture(scope="module")
def lpips_alex():
    return LPIPS()


def test_reference_values_of_lpips_alex(lpips_alex):
    ref, p0, p1 = load("ex_ref"), load("ex_p0"), load("ex_p1")
    d = lpips_alex(torch.cat([ref, ref]), torch.cat([p0, p1]))
    assert d[0].item() == pytest.approx(0.722, abs=0.002)
    assert d[1].item() == pytest.approx(0.138, abs=0.002)


def test_identical_images_are_at_zero_and_grey_small_images_work(lpips_alex):
    ref = load("ex_ref")
    assert lpips_alex(ref, ref).item() == pytest.approx(0.0, abs=1e-6)
    grey = ref.mean(1, keepdim=True)[..., ::2, ::2]  # (1, 1, 32, 32)
    d = lpips_alex(grey, grey.flip(-1))
    assert d.shape == (1,) and d.item() > 0.05
    x = grey.clone().requires_grad_(True)
    lpips_alex(x, grey.flip(-1)).sum().backward()
    assert x.grad.abs().sum() > 0


def test_cached_target_features_give_the_whole_distance(lpips_alex):
    ref, p0 = load("ex_ref"), load("ex_p0")
    ours = lpips_alex.distance(p0, [f.detach() for f in lpips_alex.features(ref)])
    theirs = lpips_alex.net(ref, p0).flatten()
    assert torch.allclose(ours, theirs, atol=1e-6)


def test_the_network_is_the_lpips_packages_with_the_same_weights(lpips_alex):
    import warnings

    import lpips  # the reference; the editor does not import it (torchvision with it: 1.4 s)

    from inversion.convert_lpips import LPIPS_WEIGHTS
    from training.modelfile import load_network

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = lpips.LPIPS(pretrained=False, net="alex", pnet_rand=True, verbose=False)
    load_network(theirs, LPIPS_WEIGHTS)
    theirs.eval()
    ref, p0, p1 = load("ex_ref"), load("ex_p0"), load("ex_p1")
    x, y = torch.cat([ref, ref, p0]), torch.cat([p0, p1, p1 * 0.5])
    with torch.no_grad():
        assert torch.allclose(lpips_alex.net(x, y), theirs(x, y), atol=1e-6)
        for a, b in zip(lpips_alex.net.net(x), theirs.net(x)):
            assert torch.equal(a, b)
    grads = []
    for net in (lpips_alex.net, theirs):  # the same gradients to the images, dropout on alike
        xg = x.clone().requires_grad_(True)
        torch.manual_seed(0)
        net.train()
        net(xg, y).sum().backward()
        net.eval()
        grads.append(xg.grad)
    assert torch.allclose(grads[0], grads[1], atol=1e-6) and grads[0].abs().sum() > 0
