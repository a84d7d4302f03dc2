"""A PyTorch training loop: a Dataset with torchvision transforms, a DataLoader, a small CNN, SGD."""

import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms


class Blobs(Dataset):
    """Generated 8x8 RGB images: class 1 is brighter in the top half."""

    def __init__(self, n, transform=None):
        rng = np.random.RandomState(0)
        self.labels = rng.randint(0, 2, n)
        self.images = rng.randint(0, 128, (n, 8, 8, 3)).astype(np.uint8)
        self.images[self.labels == 1, :4] += 30
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        image = self.images[i]
        if self.transform:
            image = self.transform(image)
        return image, int(self.labels[i])


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))])
    loader = DataLoader(Blobs(32, transform), batch_size=8, shuffle=False)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 2))
    rng = np.random.RandomState(1)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for epoch in range(epochs):
        total = 0.0
        for images, labels in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch} loss {total / len(loader):.6f}")
    correct = sum((model(x).argmax(1) == y).sum().item() for x, y in loader)
    print(f"accuracy {correct}/{len(loader.dataset)}")


if __name__ == "__main__":
    main()
