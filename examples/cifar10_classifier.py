"""Training an image classifier, CIFAR-10 style: load data with transforms, define a CNN, train, test, and
print the accuracy of each class.

Uses the real CIFAR-10 when `--data DIR` holds it (cifar-10-batches-py, as torchvision downloads it) and
otherwise generates a small offline stand-in with the same classes: each class is a colour and a stripe pattern
under noise, so the network has something real to learn.
Run: python examples/cifar10_classifier.py [--data DIR] [--epochs N] [--quick]
"""

import argparse
import os

import numpy as np

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
import ember.optim as optim
import ember.vision as torchvision
import ember.vision.transforms as transforms

CLASSES = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


class GeneratedCIFAR(torch.utils.data.Dataset):
    """32x32 RGB uint8 images: class k has its own colour and stripes of period k + 2, plus noise."""

    def __init__(self, n: int, seed: int, transform=None):
        rng = np.random.RandomState(seed)
        self.targets = rng.randint(0, 10, n).tolist()
        palette = np.random.RandomState(123).randint(40, 216, (10, 3))
        rows = np.arange(32)[:, None]
        self.data = np.empty((n, 32, 32, 3), np.uint8)
        for i, k in enumerate(self.targets):
            stripes = 40 * np.sign(np.sin(2 * np.pi * (rows + rng.randint(0, 32)) / (k + 2)))
            image = palette[k] + stripes[..., None] + rng.normal(0, 30, (32, 32, 3))
            self.data[i] = np.clip(image, 0, 255)
        self.transform = transform

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, i):
        image = self.data[i]
        return (self.transform(image) if self.transform else image), self.targets[i]


class Net(nn.Module):
    """The tutorial's CNN for 3x32x32 images."""

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
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def load(data: str | None, quick: bool, transform):
    """CIFAR-10 from data when it is there, else the generated stand-in."""
    if data and os.path.isdir(os.path.join(data, "cifar-10-batches-py")):
        train = torchvision.datasets.CIFAR10(root=data, train=True, download=False, transform=transform)
        test = torchvision.datasets.CIFAR10(root=data, train=False, download=False, transform=transform)
        return train, test
    n_train, n_test = (800, 200) if quick else (5000, 1000)
    return GeneratedCIFAR(n_train, 0, transform), GeneratedCIFAR(n_test, 1, transform)


def main(quick: bool = False, epochs: int | None = None, data: str | None = None) -> dict:
    """Train and test; returns the overall and per-class accuracy (percent)."""
    torch.manual_seed(0)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    trainset, testset = load(data, quick, transform)
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=16, shuffle=True)
    testloader = torch.utils.data.DataLoader(testset, batch_size=100, shuffle=False)

    net = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    for epoch in range(epochs or (3 if quick else 8)):
        running_loss = 0.0
        for i, (inputs, labels) in enumerate(trainloader, 0):
            optimizer.zero_grad()
            loss = criterion(net(inputs), labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            if i % 50 == 49:
                print(f"[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 50:.3f}")
                running_loss = 0.0
    print("Finished Training")

    correct_pred = {name: 0 for name in CLASSES}
    total_pred = {name: 0 for name in CLASSES}
    with torch.no_grad():
        for images, labels in testloader:
            predictions = net(images).argmax(1)
            for label, prediction in zip(labels, predictions):
                total_pred[CLASSES[label]] += 1
                correct_pred[CLASSES[label]] += int(label == prediction)
    per_class = {}
    for name in CLASSES:
        per_class[name] = 100 * correct_pred[name] / max(total_pred[name], 1)
        print(f"Accuracy for class: {name:5s} is {per_class[name]:.1f} %")
    overall = 100 * sum(correct_pred.values()) / sum(total_pred.values())
    print(f"Accuracy of the network on the {sum(total_pred.values())} test images: {overall:.1f} %")
    return {"overall": overall, "per_class": per_class, "correct": correct_pred, "total": total_pred}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder holding cifar-10-batches-py (else generated data)")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--quick", action="store_true", help="small data, three epochs")
    args = parser.parse_args()
    main(args.quick, args.epochs, args.data)
