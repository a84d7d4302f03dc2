"""The torchvision architectures written in plain PyTorch (torchvision itself is not installed): the test oracle.

Written independently of ember's models from torchvision's published definitions; module names follow
torchvision, so `state_dict()` keys are the ones a torchvision checkpoint carries. Used to produce
fixtures/state_dict_keys.json (make_fixtures.py) and to compare logits with ember's models.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn


def _divisible(v: float, d: int = 8) -> int:
    new = max(d, int(v + d / 2) // d * d)
    return new + d if new < 0.9 * v else new


def _cna(cin, cout, k=3, stride=1, groups=1, act=nn.ReLU, norm=nn.BatchNorm2d, dilation=1):
    layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2 * dilation, dilation=dilation, groups=groups, bias=False),
              norm(cout)]
    if act is not None:
        layers.append(act(inplace=True))
    return nn.Sequential(*layers)


# --- ResNet family -------------------------------------------------------------------------------------
class Basic(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride, down, groups=1, width_per_group=64):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = down

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        y = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return torch.relu(y + idt)


class Bottle(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride, down, groups=1, width_per_group=64):
        super().__init__()
        w = int(planes * width_per_group / 64) * groups
        self.conv1 = nn.Conv2d(cin, w, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.conv2 = nn.Conv2d(w, w, 3, stride, 1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(w)
        self.conv3 = nn.Conv2d(w, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = down

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        return torch.relu(self.bn3(self.conv3(y)) + idt)


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=1000, groups=1, width_per_group=64):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers)):
            stride = 1 if i == 0 else 2
            down = None
            if stride != 1 or cin != planes * block.expansion:
                down = nn.Sequential(nn.Conv2d(cin, planes * block.expansion, 1, stride, bias=False),
                                     nn.BatchNorm2d(planes * block.expansion))
            blocks = [block(cin, planes, stride, down, groups, width_per_group)]
            cin = planes * block.expansion
            blocks += [block(cin, planes, 1, None, groups, width_per_group) for _ in range(n - 1)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# --- VGG, AlexNet, SqueezeNet -----------------------------------------------------------------------------
_VGG = {11: "64 M 128 M 256 256 M 512 512 M 512 512 M",
        13: "64 64 M 128 128 M 256 256 M 512 512 M 512 512 M",
        16: "64 64 M 128 128 M 256 256 256 M 512 512 512 M 512 512 512 M",
        19: "64 64 M 128 128 M 256 256 256 256 M 512 512 512 512 M 512 512 512 512 M"}


class VGG(nn.Module):
    def __init__(self, depth, bn, num_classes=1000):
        super().__init__()
        layers, cin = [], 3
        for tok in _VGG[depth].split():
            if tok == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(cin, int(tok), 3, padding=1)] + ([nn.BatchNorm2d(int(tok))] if bn else [])
                layers.append(nn.ReLU(inplace=True))
                cin = int(tok)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(7)
        self.classifier = nn.Sequential(nn.Linear(25088, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 4096),
                                        nn.ReLU(True), nn.Dropout(), nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class AlexNet(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        r = lambda: nn.ReLU(inplace=True)
        self.features = nn.Sequential(nn.Conv2d(3, 64, 11, 4, 2), r(), nn.MaxPool2d(3, 2),
                                      nn.Conv2d(64, 192, 5, padding=2), r(), nn.MaxPool2d(3, 2),
                                      nn.Conv2d(192, 384, 3, padding=1), r(),
                                      nn.Conv2d(384, 256, 3, padding=1), r(), nn.Conv2d(256, 256, 3, padding=1), r(),
                                      nn.MaxPool2d(3, 2))
        self.avgpool = nn.AdaptiveAvgPool2d(6)
        self.classifier = nn.Sequential(nn.Dropout(), nn.Linear(9216, 4096), r(), nn.Dropout(), nn.Linear(4096, 4096),
                                        r(), nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class Fire(nn.Module):
    def __init__(self, cin, s, e1, e3):
        super().__init__()
        self.squeeze, self.squeeze_activation = nn.Conv2d(cin, s, 1), nn.ReLU(inplace=True)
        self.expand1x1, self.expand1x1_activation = nn.Conv2d(s, e1, 1), nn.ReLU(inplace=True)
        self.expand3x3, self.expand3x3_activation = nn.Conv2d(s, e3, 3, padding=1), nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


class SqueezeNet(nn.Module):
    def __init__(self, version, num_classes=1000):
        super().__init__()
        P = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)
        R = lambda: nn.ReLU(inplace=True)
        if version == "1_0":
            body = [nn.Conv2d(3, 96, 7, 2), R(), P(), Fire(96, 16, 64, 64), Fire(128, 16, 64, 64),
                    Fire(128, 32, 128, 128), P(), Fire(256, 32, 128, 128), Fire(256, 48, 192, 192),
                    Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), P(), Fire(512, 64, 256, 256)]
        else:
            body = [nn.Conv2d(3, 64, 3, 2), R(), P(), Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), P(),
                    Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), P(), Fire(256, 48, 192, 192),
                    Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), Fire(512, 64, 256, 256)]
        self.features = nn.Sequential(*body)
        self.classifier = nn.Sequential(nn.Dropout(), nn.Conv2d(512, num_classes, 1), R(), nn.AdaptiveAvgPool2d(1))

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


# --- DenseNet -------------------------------------------------------------------------------------------
class DenseLayer(nn.Module):
    def __init__(self, cin, growth, bn_size):
        super().__init__()
        self.norm1, self.relu1 = nn.BatchNorm2d(cin), nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(cin, bn_size * growth, 1, bias=False)
        self.norm2, self.relu2 = nn.BatchNorm2d(bn_size * growth), nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False)

    def forward(self, feats):
        x = self.conv1(self.relu1(self.norm1(torch.cat(feats, 1))))
        return self.conv2(self.relu2(self.norm2(x)))


class DenseBlock(nn.ModuleDict):
    def forward(self, x):
        feats = [x]
        for layer in self.values():
            feats.append(layer(feats))
        return torch.cat(feats, 1)


class DenseNet(nn.Module):
    def __init__(self, growth=32, blocks=(6, 12, 24, 16), init=64, bn_size=4, num_classes=1000):
        super().__init__()
        f = nn.Sequential(OrderedDict(conv0=nn.Conv2d(3, init, 7, 2, 3, bias=False), norm0=nn.BatchNorm2d(init),
                                      relu0=nn.ReLU(inplace=True), pool0=nn.MaxPool2d(3, 2, 1)))
        c = init
        for i, n in enumerate(blocks):
            f.add_module(f"denseblock{i + 1}", DenseBlock(
                {f"denselayer{j + 1}": DenseLayer(c + j * growth, growth, bn_size) for j in range(n)}))
            c += n * growth
            if i < len(blocks) - 1:
                f.add_module(f"transition{i + 1}", nn.Sequential(OrderedDict(
                    norm=nn.BatchNorm2d(c), relu=nn.ReLU(inplace=True), conv=nn.Conv2d(c, c // 2, 1, bias=False),
                    pool=nn.AvgPool2d(2, 2))))
                c //= 2
        f.add_module("norm5", nn.BatchNorm2d(c))
        self.features = f
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x):
        x = torch.relu(self.features(x))
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


# --- MobileNet V2 / V3 ----------------------------------------------------------------------------------
class InvRes2(nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        hid = int(round(cin * t))
        layers = [_cna(cin, hid, 1, act=nn.ReLU6)] if t != 1 else []
        layers += [_cna(hid, hid, 3, stride, groups=hid, act=nn.ReLU6), nn.Conv2d(hid, cout, 1, bias=False),
                   nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.res = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.res else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        feats, cin = [_cna(3, 32, 3, 2, act=nn.ReLU6)], 32
        for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                           (6, 320, 1, 1)]:
            for i in range(n):
                feats.append(InvRes2(cin, c, s if i == 0 else 1, t))
                cin = c
        feats.append(_cna(cin, 1280, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*feats)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


class SE(nn.Module):
    def __init__(self, c):
        super().__init__()
        s = _divisible(c // 4)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1, self.fc2 = nn.Conv2d(c, s, 1), nn.Conv2d(s, c, 1)
        self.activation, self.scale_activation = nn.ReLU(), nn.Hardsigmoid()

    def forward(self, x):
        return self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x))))) * x


class InvRes3(nn.Module):
    def __init__(self, cin, k, exp, cout, se, act, stride, norm):
        super().__init__()
        A = nn.Hardswish if act == "HS" else nn.ReLU
        layers = [_cna(cin, exp, 1, act=A, norm=norm)] if exp != cin else []
        layers.append(_cna(exp, exp, k, stride, groups=exp, act=A, norm=norm))
        if se:
            layers.append(SE(exp))
        layers.append(_cna(exp, cout, 1, act=None, norm=norm))
        self.block = nn.Sequential(*layers)
        self.res = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.block(x) if self.res else self.block(x)


_V3 = {
    "large": ([(16, 3, 16, 16, 0, "RE", 1), (16, 3, 64, 24, 0, "RE", 2), (24, 3, 72, 24, 0, "RE", 1),
               (24, 5, 72, 40, 1, "RE", 2), (40, 5, 120, 40, 1, "RE", 1), (40, 5, 120, 40, 1, "RE", 1),
               (40, 3, 240, 80, 0, "HS", 2), (80, 3, 200, 80, 0, "HS", 1), (80, 3, 184, 80, 0, "HS", 1),
               (80, 3, 184, 80, 0, "HS", 1), (80, 3, 480, 112, 1, "HS", 1), (112, 3, 672, 112, 1, "HS", 1),
               (112, 5, 672, 160, 1, "HS", 2), (160, 5, 960, 160, 1, "HS", 1), (160, 5, 960, 160, 1, "HS", 1)], 1280),
    "small": ([(16, 3, 16, 16, 1, "RE", 2), (16, 3, 72, 24, 0, "RE", 2), (24, 3, 88, 24, 0, "RE", 1),
               (24, 5, 96, 40, 1, "HS", 2), (40, 5, 240, 40, 1, "HS", 1), (40, 5, 240, 40, 1, "HS", 1),
               (40, 5, 120, 48, 1, "HS", 1), (48, 5, 144, 48, 1, "HS", 1), (48, 5, 288, 96, 1, "HS", 2),
               (96, 5, 576, 96, 1, "HS", 1), (96, 5, 576, 96, 1, "HS", 1)], 1024),
}


class MobileNetV3(nn.Module):
    def __init__(self, size, num_classes=1000):
        super().__init__()
        rows, last = _V3[size]
        norm = lambda c: nn.BatchNorm2d(c, eps=0.001, momentum=0.01)
        feats = [_cna(3, 16, 3, 2, act=nn.Hardswish, norm=norm)]
        feats += [InvRes3(*row, norm=norm) for row in rows]
        feats.append(_cna(rows[-1][3], 6 * rows[-1][3], 1, act=nn.Hardswish, norm=norm))
        self.features = nn.Sequential(*feats)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(6 * rows[-1][3], last), nn.Hardswish(inplace=True),
                                        nn.Dropout(0.2, inplace=True), nn.Linear(last, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


BUILDERS = {
    "alexnet": AlexNet,
    **{f"vgg{d}": (lambda d=d, **kw: VGG(d, False, **kw)) for d in (11, 13, 16, 19)},
    **{f"vgg{d}_bn": (lambda d=d, **kw: VGG(d, True, **kw)) for d in (11, 13, 16, 19)},
    "resnet18": lambda **kw: ResNet(Basic, [2, 2, 2, 2], **kw),
    "resnet34": lambda **kw: ResNet(Basic, [3, 4, 6, 3], **kw),
    "resnet50": lambda **kw: ResNet(Bottle, [3, 4, 6, 3], **kw),
    "resnet101": lambda **kw: ResNet(Bottle, [3, 4, 23, 3], **kw),
    "resnet152": lambda **kw: ResNet(Bottle, [3, 8, 36, 3], **kw),
    "resnext50_32x4d": lambda **kw: ResNet(Bottle, [3, 4, 6, 3], groups=32, width_per_group=4, **kw),
    "wide_resnet50_2": lambda **kw: ResNet(Bottle, [3, 4, 6, 3], width_per_group=128, **kw),
    "densenet121": DenseNet,
    "squeezenet1_0": lambda **kw: SqueezeNet("1_0", **kw),
    "squeezenet1_1": lambda **kw: SqueezeNet("1_1", **kw),
    "mobilenet_v2": MobileNetV2,
    "mobilenet_v3_large": lambda **kw: MobileNetV3("large", **kw),
    "mobilenet_v3_small": lambda **kw: MobileNetV3("small", **kw),
}
