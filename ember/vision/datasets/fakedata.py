"""FakeData: random images with random labels, reproducible per index."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember

from .. import transforms
from .vision import VisionDataset


class FakeData(VisionDataset):
    """`size` random images (PIL, from standard-normal pixels) with labels in [0, num_classes).

    Item i is drawn with ember.manual_seed(i + random_offset) and leaves the global generator as it was.
    """

    def __init__(self, size: int = 1000, image_size: tuple[int, ...] = (3, 224, 224), num_classes: int = 10,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 random_offset: int = 0) -> None:
        super().__init__(transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        rng_state = ember.get_rng_state()
        ember.manual_seed(index + self.random_offset)
        img = ember.randn(*self.image_size)
        target = ember.randint(0, self.num_classes, size=(1,), dtype=ember.long)[0]
        ember.set_rng_state(rng_state)
        img = transforms.ToPILImage()(img)
        img, target = self._apply_transforms(img, target)  # target_transform sees the tensor, as in torchvision
        return img, target.item()

    def __len__(self) -> int:
        return self.size
