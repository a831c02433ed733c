"""DEKR's adaptive convolution (posekit.models.adaptive_conv) against independent references: a direct
loop over the nine samples with its own bilinear interpolation, and torch's conv2d for the identity
transform."""
import numpy as np
import torch
import torch.nn.functional as F

from posekit.models.adaptive_conv import AdaptiveBlock, adaptive_conv2d


def _bilinear(img: np.ndarray, x: float, y: float) -> np.ndarray:
    """(C,) the bilinear sample of ``img`` (C, H, W) at (x, y), zero outside (a deformable convolution's)."""
    c, h, w = img.shape
    x0, y0 = int(np.floor(x)), int(np.floor(y))
    out = np.zeros(c)
    for yy, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
        for xx, wx in ((x0, 1 - (x - x0)), (x0 + 1, x - x0)):
            if 0 <= yy < h and 0 <= xx < w:
                out += wy * wx * img[:, yy, xx]
    return out


def _direct(x, weight, affine, translation, groups):
    """The adaptive convolution by the definition: for each output pixel q and kernel tap (ky, kx),
    sample at q + A_q (kx, ky) + t_q and weight it."""
    n, c, h, w = x.shape
    o = weight.shape[0]
    cg, og = c // groups, o // groups
    out = np.zeros((n, o, h, w))
    for b in range(n):
        for g in range(groups):
            img = x[b, g * cg:(g + 1) * cg]
            for i in range(h):
                for j in range(w):
                    a = affine[b, 4 * g:4 * g + 4, i, j].reshape(2, 2)
                    t = translation[b, 2 * g:2 * g + 2, i, j]
                    for ky in (-1, 0, 1):
                        for kx in (-1, 0, 1):
                            px, py = np.array([j, i]) + a @ np.array([kx, ky]) + t
                            s = _bilinear(img, px, py)
                            out[b, g * og:(g + 1) * og, i, j] += weight[g * og:(g + 1) * og, :, ky + 1, kx + 1] @ s
    return out


def test_adaptive_conv_equals_a_direct_loop_over_the_nine_samples():
    rng = np.random.default_rng(0)
    for groups, c, o in ((1, 3, 4), (3, 6, 6)):
        x = rng.normal(size=(2, c, 5, 6))
        weight = rng.normal(size=(o, c // groups, 3, 3))
        affine = rng.normal(0, 1.5, size=(2, 4 * groups, 5, 6))
        translation = rng.normal(0, 2.0, size=(2, 2 * groups, 5, 6))     # many samples fall outside
        got = adaptive_conv2d(*(torch.from_numpy(a) for a in (x, weight, affine, translation)), groups=groups)
        np.testing.assert_allclose(got.numpy(), _direct(x, weight, affine, translation, groups), atol=1e-10)


def test_identity_transform_is_torch_conv2d():
    torch.manual_seed(0)
    for groups in (1, 4):
        x = torch.randn(2, 8, 7, 9, dtype=torch.float64)
        weight = torch.randn(12, 8 // groups, 3, 3, dtype=torch.float64)
        bias = torch.randn(12, dtype=torch.float64)
        eye = torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=torch.float64).repeat(groups).view(1, -1, 1, 1)
        eye = eye.expand(2, -1, 7, 9)
        zero = torch.zeros(2, 2 * groups, 7, 9, dtype=torch.float64)
        got = adaptive_conv2d(x, weight, eye, zero, bias, groups=groups)
        torch.testing.assert_close(got, F.conv2d(x, weight, bias, padding=1, groups=groups))


def test_a_pure_translation_by_whole_pixels_shifts_the_convolution():
    torch.manual_seed(1)
    x = torch.randn(1, 2, 8, 8, dtype=torch.float64)
    weight = torch.randn(3, 2, 3, 3, dtype=torch.float64)
    eye = torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=torch.float64).view(1, 4, 1, 1).expand(1, 4, 8, 8)
    shift = torch.tensor([2.0, -1.0], dtype=torch.float64).view(1, 2, 1, 1).expand(1, 2, 8, 8)
    got = adaptive_conv2d(x, weight, eye, shift)
    ref = F.conv2d(x, weight, padding=1)
    # output (i, j) reads the plain convolution at (i - 1, j + 2) where all nine samples are inside
    torch.testing.assert_close(got[:, :, 2:7, 1:4], ref[:, :, 1:6, 3:6])


def test_block_starts_as_dekr_initialises_it_and_learns_its_transform():
    torch.manual_seed(0)
    block = AdaptiveBlock(4, groups=2)
    x = torch.randn(2, 8, 6, 6)
    assert torch.count_nonzero(block.transform(x)) == 0 and torch.count_nonzero(block.translation(x)) == 0
    block(x).sum().backward()
    assert block.transform.weight.grad.abs().sum() > 0 and block.translation.weight.grad.abs().sum() > 0
