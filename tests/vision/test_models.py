"""ember.vision.models against torchvision's architectures (written in plain PyTorch in _torch_models.py).

state_dict keys/shapes come from fixtures/state_dict_keys.json (made from the PyTorch builds, whose parameter
counts equal torchvision's published `num_params`); logits are compared with the PyTorch builds after the
weights travel through a `.pt` file written by `torch.save`.
"""

from __future__ import annotations

import json
import math
import pathlib
import re
import warnings

import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.vision import models
from tests.vision._torch_models import BUILDERS

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "state_dict_keys.json").read_text())


@pytest.fixture
def no_init(monkeypatch):
    """Skip random initialisation (structure-only tests of the 100M-parameter models stay fast)."""
    keep = lambda tensor, *args, **kwargs: tensor
    for name in ("uniform_", "normal_", "kaiming_uniform_", "kaiming_normal_"):
        monkeypatch.setattr(ember.nn.init, name, keep)


@pytest.mark.parametrize("name", sorted(FIXTURE))
def test_state_dict_keys_and_shapes(name, no_init):
    model = getattr(models, name)()
    got = [[k, list(v.shape)] for k, v in model.state_dict().items()]
    assert got == FIXTURE[name]["state_dict"]
    assert sum(p.numel() for p in model.parameters()) == FIXTURE[name]["published_num_params"]


def _torch_model(name: str, seed: int = 0) -> torch.nn.Module:
    """The PyTorch build in eval mode, with non-trivial BatchNorm statistics."""
    torch.manual_seed(seed)
    model = BUILDERS[name]().eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    return model


def _image(n=2, size=64, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 3, size, size)).astype(np.float32)


def _assert_logits(e_out, t_out):
    t = t_out.detach().numpy()
    assert tuple(e_out.shape) == t.shape and e_out.dtype == ember.float32
    np.testing.assert_allclose(e_out.detach().numpy(), t, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(t).max()))


def test_resnet18_logits_through_pt_file(tmp_path):
    t_model = _torch_model("resnet18")
    path = tmp_path / "resnet18.pt"
    torch.save(t_model.state_dict(), path)
    e_model = models.resnet18()
    result = e_model.load_state_dict(ember.load(path), strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    e_model.eval()
    x = _image()
    with ember.no_grad():
        e_out = e_model(ember.tensor(x))
    _assert_logits(e_out, t_model(torch.tensor(x)))


# alexnet and vgg (60-140M parameters) are left to the state_dict test: too slow to run here
@pytest.mark.parametrize("name", ["resnext50_32x4d", "densenet121", "squeezenet1_0", "squeezenet1_1", "mobilenet_v2",
                                  "mobilenet_v3_small", "mobilenet_v3_large"])
def test_logits_match_with_weights_path(name, tmp_path, no_init):
    t_model = _torch_model(name)
    path = tmp_path / f"{name}.pth"
    torch.save(t_model.state_dict(), path)
    e_model = getattr(models, name)(weights=str(path)).eval()  # ember extension: weights= a local file
    x = _image()
    with ember.no_grad():
        e_out = e_model(ember.tensor(x))
    _assert_logits(e_out, t_model(torch.tensor(x)))


def test_resnet18_training_step_matches_torch(no_init):
    # float64: in train mode the last BatchNorms normalise over few values, which amplifies float32 rounding
    t_model = _torch_model("resnet18").train().double()
    e_model = models.resnet18().double()
    e_model.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_model.state_dict().items()})
    x = _image(n=4, size=32).astype(np.float64)
    y = np.array([1, 5, 7, 999])
    t_loss = torch.nn.functional.cross_entropy(t_model(torch.tensor(x)), torch.tensor(y))
    e_loss = ember.nn.functional.cross_entropy(e_model(ember.tensor(x)), ember.tensor(y))
    t_loss.backward()
    e_loss.backward()
    assert abs(e_loss.item() - t_loss.item()) < 1e-10
    e_params = dict(e_model.named_parameters())
    for key in ("conv1.weight", "layer1.0.bn1.weight", "layer3.0.downsample.0.weight", "fc.weight", "fc.bias"):
        t_grad = dict(t_model.named_parameters())[key].grad.numpy()
        np.testing.assert_allclose(e_params[key].grad.numpy(), t_grad, rtol=1e-7, atol=1e-9 * np.abs(t_grad).max())
    np.testing.assert_allclose(e_model.bn1.running_mean.numpy(), t_model.bn1.running_mean.numpy(), rtol=1e-10)


def test_fine_tuning_pattern_replaces_fc_and_freezes_the_rest(no_init):
    t_model = _torch_model("resnet18")
    e_model = models.resnet18()
    e_model.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_model.state_dict().items()})
    for lib, model in ((torch, t_model), (ember, e_model)):
        for p in model.parameters():
            p.requires_grad = False
        model.fc = lib.nn.Linear(model.fc.in_features, 2)
    e_model.fc.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t_model.fc.state_dict().items()})
    x = _image(n=3, size=32)
    t_out, e_out = t_model.eval()(torch.tensor(x)), e_model.eval()(ember.tensor(x))
    assert tuple(e_out.shape) == (3, 2)
    _assert_logits(e_out, t_out)
    t_out.sum().backward()
    e_out.sum().backward()
    trainable = [n for n, p in e_model.named_parameters() if p.requires_grad]
    assert trainable == ["fc.weight", "fc.bias"]
    assert all(p.grad is None for n, p in e_model.named_parameters() if not n.startswith("fc."))
    np.testing.assert_allclose(e_model.fc.weight.grad.numpy(), t_model.fc.weight.grad.numpy(), rtol=1e-4, atol=1e-5)


def _std(t) -> float:
    return float(t.detach().numpy().std())


def test_resnet_initialisation_is_torchvisions():
    ember.manual_seed(0)
    m = models.resnet18()
    w = m.layer3[1].conv2.weight  # 256 x 256 x 3 x 3: He-normal with fan_out = 256 * 9
    assert abs(_std(w) / math.sqrt(2.0 / (256 * 9)) - 1) < 0.02
    assert abs(float(w.detach().numpy().mean())) < 1e-3
    assert (m.layer1[0].bn2.weight.detach().numpy() == 1).all() and (m.layer1[0].bn2.bias.detach().numpy() == 0).all()
    bound = 1 / math.sqrt(512)  # fc keeps nn.Linear's default init
    fc = m.fc.weight.detach().numpy()
    assert fc.max() <= bound and fc.min() >= -bound and fc.std() > 0.9 * bound / math.sqrt(3)


def test_zero_init_residual_zeroes_the_last_bn_of_each_block(no_init):
    basic, bottleneck = models.resnet18(zero_init_residual=True), models.resnet50(zero_init_residual=True)
    assert (basic.layer2[1].bn2.weight.detach().numpy() == 0).all()
    assert (basic.layer2[1].bn1.weight.detach().numpy() == 1).all()
    assert (bottleneck.layer2[1].bn3.weight.detach().numpy() == 0).all()
    assert (bottleneck.layer2[1].bn2.weight.detach().numpy() == 1).all()


def test_mobile_squeeze_dense_initialisation():
    ember.manual_seed(0)
    v2 = models.mobilenet_v2()
    assert abs(_std(v2.classifier[1].weight) / 0.01 - 1) < 0.02 and (v2.classifier[1].bias.detach().numpy() == 0).all()
    sq = models.squeezenet1_1()
    assert abs(_std(sq.classifier[1].weight) / 0.01 - 1) < 0.02  # final_conv: normal(0, 0.01)
    fire = sq.features[12].expand3x3.weight  # kaiming_uniform_ (a=0): bound sqrt(6 / fan_in)
    bound = math.sqrt(6.0 / (64 * 9))
    assert np.abs(fire.detach().numpy()).max() <= bound and abs(_std(fire) / (bound / math.sqrt(3)) - 1) < 0.03
    assert (sq.features[12].expand3x3.bias.detach().numpy() == 0).all()
    dn = models.densenet121()
    conv = dn.features.denseblock3.denselayer1.conv2.weight  # kaiming_normal_ fan_in = 128 * 9
    assert abs(_std(conv) / math.sqrt(2.0 / (128 * 9)) - 1) < 0.05
    assert (dn.classifier.bias.detach().numpy() == 0).all()


def test_weights_enums_name_the_published_files():
    assert models.ResNet18_Weights.IMAGENET1K_V1.url == "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    assert models.ResNet50_Weights.DEFAULT is models.ResNet50_Weights.IMAGENET1K_V2
    assert models.ResNet50_Weights.IMAGENET1K_V2.url.endswith("resnet50-11ad3fa6.pth")
    assert models.VGG16_Weights.DEFAULT.url.endswith("vgg16-397923af.pth")
    assert models.AlexNet_Weights.DEFAULT.url.endswith("alexnet-owt-7be5be79.pth")
    assert models.DenseNet121_Weights.DEFAULT.url.endswith("densenet121-a639ec97.pth")
    assert models.MobileNet_V3_Small_Weights.DEFAULT.url.endswith("mobilenet_v3_small-047dcff4.pth")
    assert models.ResNet18_Weights.DEFAULT.meta["num_params"] == 11689512
    assert repr(models.ResNet18_Weights.DEFAULT) == "ResNet18_Weights.IMAGENET1K_V1"
    assert models.get_weight("ResNet50_Weights.IMAGENET1K_V1").url.endswith("resnet50-0676ba61.pth")
    assert models.ResNet18_Weights.verify("DEFAULT") is models.ResNet18_Weights.IMAGENET1K_V1
    with pytest.raises(TypeError, match="expected ResNet18_Weights but received ResNet50_Weights"):
        models.resnet18(weights=models.ResNet50_Weights.DEFAULT)
    with pytest.raises(ValueError, match="expected value 1000 but got 10"):
        models.resnet18(weights="DEFAULT", num_classes=10)
    with pytest.raises(ValueError, match="neither a member of ResNet18_Weights"):
        models.resnet18(weights="no/such/file.pth")
    transform = models.ResNet50_Weights.IMAGENET1K_V2.transforms()
    assert transform.crop_size == [224] and transform.resize_size == [232]


@pytest.fixture
def hub_home(tmp_path, monkeypatch):
    """An empty hub cache under tmp_path (via TORCH_HOME), with no network access."""
    monkeypatch.delenv("EMBER_HOME", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "torch_home" / "hub" / "checkpoints"


def test_pretrained_true_warns_and_uses_the_cached_file(hub_home):
    t_model = _torch_model("resnet18", seed=3)
    hub_home.mkdir(parents=True)
    torch.save(t_model.state_dict(), hub_home / "resnet18-f37072fd.pth")  # as if downloaded earlier
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        e_model = models.resnet18(pretrained=True).eval()
    messages = [str(w.message) for w in caught]
    assert any("'pretrained' is deprecated" in m for m in messages)
    assert any("`weights=ResNet18_Weights.IMAGENET1K_V1`" in m for m in messages)
    assert {w.filename for w in caught if "pretrained" in str(w.message)} == {__file__}  # points at the caller
    x = _image(n=1)
    with ember.no_grad():
        _assert_logits(e_model(ember.tensor(x)), t_model(torch.tensor(x)))
    same = models.resnet18(weights=models.ResNet18_Weights.DEFAULT).eval()
    np.testing.assert_array_equal(same.fc.weight.detach().numpy(), e_model.fc.weight.detach().numpy())


def test_weights_offline_without_cache_names_url_and_path(hub_home, monkeypatch):
    import ember.hub

    def no_network(*args, **kwargs):
        raise ember.hub.URLError("network is unreachable")

    monkeypatch.setattr(ember.hub, "urlopen", no_network)
    with pytest.raises(RuntimeError) as info:
        models.squeezenet1_1(weights="DEFAULT")
    message = str(info.value)
    assert "https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth" in message
    assert str(hub_home / "squeezenet1_1-b8a52dc0.pth") in message
    assert not list(hub_home.glob("*"))  # no partial file left behind


def test_densenet_loads_checkpoints_with_the_old_key_names(tmp_path):
    t_model = _torch_model("densenet121", seed=1)
    # torchvision's published file (2017) says "denselayer1.norm.1.weight" where the model says
    # "denselayer1.norm1.weight", and has no BatchNorm num_batches_tracked entries
    old = {re.sub(r"(denselayer\d+\.(?:norm|relu|conv))([12])\.", r"\1.\2.", k): v
           for k, v in t_model.state_dict().items() if not k.endswith("num_batches_tracked")}
    assert "features.denseblock1.denselayer1.norm.1.weight" in old
    path = tmp_path / "densenet121-old.pth"
    torch.save(old, path)
    e_model = models.densenet121(weights=str(path)).eval()
    x = _image(n=1)
    with ember.no_grad():
        _assert_logits(e_model(ember.tensor(x)), t_model(torch.tensor(x)))


def test_model_repr_and_modules_are_torchvision_like():
    m = models.resnet18(num_classes=7)
    assert isinstance(m.fc, nn.Linear) and m.fc.in_features == 512 and m.fc.out_features == 7
    assert isinstance(m.layer1[0], models.BasicBlock) and m.layer1[0].relu.inplace
    assert "(downsample): Sequential(" in repr(m)


def test_weights_transforms_resize_crop_normalize():
    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    img = Image.fromarray(pixels)
    out = models.ResNet18_Weights.DEFAULT.transforms()(img)
    # shorter side to 256 (400 * 256 / 300 -> 341), center 224 crop (top 16, left round(58.5) = 58), scale, normalize
    ref = np.asarray(img.resize((341, 256), Image.BILINEAR), dtype=np.float32)[16:240, 58:282] / np.float32(255)
    ref = (ref - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
    assert tuple(out.shape) == (3, 224, 224) and out.dtype == ember.float32
    np.testing.assert_allclose(out.numpy(), ref.transpose(2, 0, 1), rtol=1e-5, atol=1e-5)
