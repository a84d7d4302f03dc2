"""Pretrained-weights descriptions (torchvision's Weights / WeightsEnum) and how a builder resolves `weights=`.

    model = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)   # or weights="DEFAULT", or "IMAGENET1K_V1"
    model = resnet18(weights="checkpoints/resnet18.pth")       # ember only: a local checkpoint file
    model = resnet18(pretrained=True)                          # deprecated, as in torchvision

Enum-named weights download from torchvision's published URLs into the hub cache (`ember.hub`), check
the SHA-256 prefix in the file name and load with `weights_only=True`. A string that is not a member name
is taken as the path of a local checkpoint file (a torchvision `.pth` or any `ember.save`/`torch.save` state
dict); this is an ember extension, torchvision raises for it.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from typing import Any

from ... import hub

__all__ = ["ImageClassification", "Weights", "WeightsEnum", "get_weight"]

_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


class ImageClassification:
    """The evaluation preprocessing of torchvision's classification weights: resize, center crop, scale, normalize.

    Accepts a PIL image or a uint8/float ember tensor (C, H, W) or (N, C, H, W); uses
    ember.vision.transforms.functional for the image operations.
    """

    def __init__(self, *, crop_size: int, resize_size: int = 256, mean: tuple = _IMAGENET_MEAN,
                 std: tuple = _IMAGENET_STD, interpolation: Any = "bilinear", antialias: bool | None = True):
        self.crop_size, self.resize_size = [crop_size], [resize_size]
        self.mean, self.std = list(mean), list(std)
        self.interpolation, self.antialias = interpolation, antialias

    def __call__(self, img):
        from ... import Tensor, float32
        from ..transforms import functional as TF  # the transforms package sits beside models, loaded on use

        interpolation = self.interpolation
        if isinstance(interpolation, str):
            interpolation = TF.InterpolationMode(interpolation)
        img = TF.resize(img, self.resize_size, interpolation=interpolation, antialias=self.antialias)
        img = TF.center_crop(img, self.crop_size)
        if not isinstance(img, Tensor):
            img = TF.pil_to_tensor(img)
        img = TF.convert_image_dtype(img, float32)
        return TF.normalize(img, mean=self.mean, std=self.std)

    def __repr__(self) -> str:
        lines = [f"crop_size={self.crop_size}", f"resize_size={self.resize_size}", f"mean={self.mean}",
                 f"std={self.std}", f"interpolation={self.interpolation}"]
        return f"{type(self).__name__}(\n    " + "\n    ".join(lines) + "\n)"


@dataclass
class Weights:
    """One set of published weights: where the file is, its preprocessing and facts about it."""

    url: str
    transforms: Callable
    meta: dict = field(default_factory=dict)


class WeightsEnum(Enum):
    """The weights published for one architecture; `DEFAULT` names the recommended member."""

    @classmethod
    def verify(cls, obj: Any) -> Any:
        """obj as a member of this enum (a member, or its name as a string, 'DEFAULT' included); None stays None."""
        if obj is None or isinstance(obj, cls):
            return obj
        if isinstance(obj, str):
            name = obj.replace(cls.__name__ + ".", "")
            if name in cls.__members__:
                return cls[name]
        raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} "
                        f"but received {obj.__class__.__name__}.")

    def get_state_dict(self, progress: bool = True, check_hash: bool = True, **kwargs) -> Mapping[str, Any]:
        """Download (or find in the cache) and load the state dict of these weights."""
        return hub.load_state_dict_from_url(self.url, progress=progress, check_hash=check_hash, **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self._name_}"

    @property
    def url(self) -> str:
        """The published download URL (its file name carries the SHA-256 prefix)."""
        return self.value.url

    @property
    def transforms(self) -> Callable:
        """A factory for the preprocessing these weights expect: call it, then apply the result to images."""
        return self.value.transforms

    @property
    def meta(self) -> dict:
        """Facts about these weights (number of parameters, minimum input size, ...)."""
        return self.value.meta


def get_weight(name: str) -> WeightsEnum:
    """The weights named 'ResNet18_Weights.IMAGENET1K_V1' (enum class and member)."""
    from .. import models

    try:
        enum_name, member = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    enum_cls = getattr(models, enum_name, None)
    if not (isinstance(enum_cls, type) and issubclass(enum_cls, WeightsEnum)):
        raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be retrieved.")
    return enum_cls[member]


def _user_stacklevel() -> int:
    """The warnings stacklevel that points at the first caller outside ember.vision.models (for _resolve)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith(__package__):
        frame, level = frame.f_back, level + 1
    return level


def _resolve(weights: Any, weights_enum: type[WeightsEnum], kwargs: dict) -> Any:
    """The weights a builder should load: an enum member, a local file path, or None.

    Handles the deprecated `pretrained=` keyword (with torchvision's warnings) and string names.
    """
    if "pretrained" in kwargs:
        pretrained = kwargs.pop("pretrained")
        warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
                      "please use 'weights' instead.", UserWarning, stacklevel=_user_stacklevel())
        if pretrained:
            legacy = weights_enum.IMAGENET1K_V1
            warnings.warn("Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 "
                          "and may be removed in the future. The current behavior is equivalent to passing "
                          f"`weights={legacy!r}`. You can also use `weights={weights_enum.__name__}.DEFAULT` "
                          "to get the most up-to-date weights.", UserWarning, stacklevel=_user_stacklevel())
            weights = legacy
    if isinstance(weights, (str, os.PathLike)):
        name = os.fspath(weights).replace(weights_enum.__name__ + ".", "")
        if name in weights_enum.__members__:
            return weights_enum[name]
        if not os.path.isfile(os.fspath(weights)):
            raise ValueError(f"weights={weights!r} is neither a member of {weights_enum.__name__} "
                             f"({', '.join(weights_enum.__members__)}) nor an existing checkpoint file")
        return os.fspath(weights)
    return weights_enum.verify(weights)


def _set_num_classes(kwargs: dict, weights: Any) -> None:
    """With published weights, num_classes must be (and defaults to) the number of classes they were trained on."""
    if not isinstance(weights, WeightsEnum):
        return
    expected = weights.meta["num_classes"]
    actual = kwargs.get("num_classes", expected)
    if actual != expected:
        raise ValueError(f"The parameter 'num_classes' expected value {expected} but got {actual} instead.")
    kwargs["num_classes"] = expected


def _imagenet(url: str, num_params: int, crop_size: int = 224, resize_size: int = 256,
              min_size: tuple = (1, 1)) -> Weights:
    """Weights trained on ImageNet-1k (1000 classes) with the standard evaluation preprocessing."""
    return Weights(url=url, transforms=partial(ImageClassification, crop_size=crop_size, resize_size=resize_size),
                   meta={"num_params": num_params, "min_size": min_size, "num_classes": 1000})


def _build(factory: Callable, weights: Any, weights_enum: type[WeightsEnum], progress: bool, kwargs: dict,
           remap: Callable[[dict], dict] | None = None):
    """Resolve weights=, build factory(**kwargs) and load the weights into it."""
    weights = _resolve(weights, weights_enum, kwargs)
    _set_num_classes(kwargs, weights)
    model = factory(**kwargs)
    _load_weights(model, weights, progress, remap)
    return model


def _load_weights(model, weights: Any, progress: bool, remap: Callable[[dict], dict] | None = None) -> None:
    """Load weights (an enum member or a local path) into model with strict key checking."""
    if weights is None:
        return
    if isinstance(weights, WeightsEnum):
        state = weights.get_state_dict(progress=progress, check_hash=True)
    else:
        from ... import serialization

        state = serialization.load(weights, map_location="cpu", weights_only=True)
    if remap is not None:
        state = remap(dict(state))
    model.load_state_dict(state)
