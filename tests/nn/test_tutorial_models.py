"""Tutorial models from our users' notes, built in ember and PyTorch side by side: same text, state, numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_same
from tests.nn._oracle import compare_modules, copy_module


def seed_lenet(lib, kernel: int = 3):
    """The 1x32x32 LeNet of the notes, with num_flat_features (kernel 5 is the official tutorial's)."""
    side = ((32 - kernel + 1) // 2 - kernel + 1) // 2
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()  # noqa: UP008 - as the notes write it
            self.conv1 = nn.Conv2d(1, 6, kernel)
            self.conv2 = nn.Conv2d(6, 16, kernel)
            self.fc1 = nn.Linear(16 * side * side, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), (2, 2))
            x = x.view(-1, self.num_flat_features(x))
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

        def num_flat_features(self, x):
            num = 1
            for s in x.size()[1:]:
                num *= s
            return num

    return Net()


def cifar_lenet(lib):
    """The CIFAR-10 tutorial LeNet (3x32x32) with a MaxPool2d module."""
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = x.view(-1, 16 * 5 * 5)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    return Net()


def basic_block(lib, inplanes: int = 8, planes: int = 16, stride: int = 2):
    """A ResNet BasicBlock with a downsampling shortcut, torchvision's layer names."""
    nn = lib.nn

    class BasicBlock(nn.Module):
        expansion = 1

        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, kernel_size=1, stride=stride, bias=False),
                                            nn.BatchNorm2d(planes))

        def forward(self, x):
            identity = self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += identity
            return self.relu(out)

    return BasicBlock()


@pytest.mark.parametrize("build", [seed_lenet, cifar_lenet, basic_block])
def test_repr_and_state_dict_match_pytorch(build):
    t, e = build(torch), build(ember)
    assert repr(e) == repr(t)
    t_state, e_state = t.state_dict(), e.state_dict()
    assert list(e_state) == list(t_state)
    assert [tuple(v.shape) for v in e_state.values()] == [tuple(v.shape) for v in t_state.values()]
    assert [str(v.dtype)[6:] for v in e_state.values()] == [str(v.dtype)[6:] for v in t_state.values()]
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]


@pytest.mark.parametrize("build, shape", [(seed_lenet, (2, 1, 32, 32)), (cifar_lenet, (3, 3, 32, 32)),
                                          (basic_block, (2, 8, 9, 9))])
@pytest.mark.parametrize("train", [True, False])
def test_forward_and_gradients_match_pytorch(build, shape, train):
    t, e = build(torch).double(), build(ember).double()
    copy_module(t, e)
    t.train(train)
    e.train(train)
    x = np.random.default_rng(1).standard_normal(shape)
    compare_modules(t, e, x)
    for (_, tb), eb in zip(t.named_buffers(), e.buffers()):  # batch-norm running statistics
        assert_same(eb, tb)


def test_seed_notes_lenet_mse_step_matches_pytorch():
    """The notes' step: zero_grad, MSE loss against a random target, backward, then p -= lr * grad."""
    t, e = seed_lenet(torch), seed_lenet(ember)
    copy_module(t, e)
    rng = np.random.default_rng(2)
    x, target = rng.standard_normal((1, 1, 32, 32)).astype(np.float32), rng.standard_normal((1, 10)).astype(np.float32)
    for lib, net in ((torch, t), (ember, e)):
        net.zero_grad()
        assert net.conv1.bias.grad is None
        loss = lib.nn.MSELoss()(net(lib.tensor(x)), lib.tensor(target))
        loss.backward()
        with lib.no_grad():
            for p in net.parameters():
                p -= 0.01 * p.grad
    assert_same(e.conv1.bias.grad, t.conv1.bias.grad, atol=1e-6)
    for (_, tp), ep in zip(t.named_parameters(), e.parameters()):
        assert_same(ep, tp, atol=1e-6)


def _blob_images(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """3x32x32 noise images with a bright 8x8 square in one of four quadrants; the label is the quadrant."""
    x = rng.standard_normal((n, 3, 32, 32)).astype(np.float32) * 0.5
    y = rng.integers(0, 4, n)
    for i, q in enumerate(y):
        r, c = 4 + 16 * (q // 2), 4 + 16 * (q % 2)
        x[i, :, r:r + 8, c:c + 8] += 2.0
    return x, y


def test_lenet_learns_a_synthetic_image_task():
    ember.manual_seed(0)
    net = cifar_lenet(ember)
    criterion = ember.nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    velocity = [ember.zeros_like(p) for p in net.parameters()]
    for _ in range(150):
        x, y = _blob_images(32, rng)
        net.zero_grad()
        loss = criterion(net(ember.tensor(x)), ember.tensor(y))
        loss.backward()
        with ember.no_grad():  # SGD with momentum 0.9, written out (ember.optim is a later issue)
            for p, v in zip(net.parameters(), velocity):
                v.mul_(0.9).add_(p.grad)
                p.sub_(0.01 * v)
    x, y = _blob_images(256, rng)
    net.eval()
    with ember.no_grad():
        accuracy = (net(ember.tensor(x)).argmax(1).numpy() == y).mean()
    assert accuracy > 0.9, f"accuracy {accuracy}"


def test_sequential_built_with_add_module_matches_pytorch():
    def build(lib):
        nn = lib.nn
        seq = nn.Sequential()
        seq.add_module("conv_pse1", nn.Conv2d(in_channels=3, out_channels=32, kernel_size=5, padding=2))
        seq.add_module("ac_pse1", nn.ReLU(True))
        seq.add_module("pool_pse1", nn.MaxPool2d(kernel_size=2, stride=2))
        return seq

    t, e = build(torch).double(), build(ember).double()
    assert repr(e) == repr(t)
    copy_module(t, e)
    compare_modules(t, e, np.random.default_rng(3).standard_normal((2, 3, 8, 8)))
