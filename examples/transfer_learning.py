"""Transfer learning: fine-tune torchvision's resnet18 on an ImageFolder with a StepLR schedule, keeping the
best weights seen on the validation split.

By default it writes a small generated two-class ImageFolder (ants and bees drawn as coloured stripes) into a
temporary folder so it runs offline; pass `--data DIR` with DIR/train/<class>/*.jpg and DIR/val/<class>/*.jpg
for real images, and `--pretrained` to start from the ImageNet weights (downloaded once, then cached).
Run: python examples/transfer_learning.py [--data DIR] [--pretrained] [--epochs N] [--quick]
"""

import argparse
import copy
import os
import tempfile
import time

import numpy as np
from PIL import Image

import ember as torch
import ember.nn as nn
import ember.optim as optim
from ember.optim import lr_scheduler
from ember.vision import datasets, models, transforms


def make_image_folder(root: str, per_class: int, size: int = 48) -> str:
    """Write root/{train,val}/{ants,bees}/*.png: ants are red diagonal stripes, bees yellow horizontal ones."""
    rng = np.random.RandomState(0)
    yy, xx = np.mgrid[0:size, 0:size]
    for split, count in (("train", per_class), ("val", max(2, per_class // 2))):
        kinds = (("ants", (200, 60, 40), (xx + yy) % 12 < 6), ("bees", (230, 200, 40), yy % 12 < 6))
        for name, colour, pattern in kinds:
            folder = os.path.join(root, split, name)
            os.makedirs(folder, exist_ok=True)
            for i in range(count):
                image = np.where(pattern[..., None], colour, 255 - np.array(colour))
                image = image + rng.normal(0, 40, (size, size, 3))
                Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(os.path.join(folder, f"{i}.png"))
    return root


def train_model(model, dataloaders, sizes, criterion, optimizer, scheduler, num_epochs):
    """Train, validate every epoch, and return the model with the best validation weights loaded."""
    since = time.time()
    best_wts, best_acc = copy.deepcopy(model.state_dict()), 0.0
    history = []
    for epoch in range(num_epochs):
        for phase in ("train", "val"):
            model.train() if phase == "train" else model.eval()
            running_loss, running_corrects = 0.0, 0
            for inputs, labels in dataloaders[phase]:
                optimizer.zero_grad()
                with torch.set_grad_enabled(phase == "train"):
                    outputs = model(inputs)
                    preds = outputs.argmax(1)
                    loss = criterion(outputs, labels)
                    if phase == "train":
                        loss.backward()
                        optimizer.step()
                running_loss += loss.item() * inputs.size(0)
                running_corrects += (preds == labels).sum().item()
            if phase == "train":
                scheduler.step()
            epoch_loss, epoch_acc = running_loss / sizes[phase], running_corrects / sizes[phase]
            history.append((phase, epoch_loss, epoch_acc))
            print(f"epoch {epoch + 1}/{num_epochs} {phase:5s} loss {epoch_loss:.4f} acc {epoch_acc:.4f}  "
                  f"lr {optimizer.param_groups[0]['lr']:.5f}")
            if phase == "val" and epoch_acc > best_acc:
                best_acc, best_wts = epoch_acc, copy.deepcopy(model.state_dict())
    print(f"trained in {time.time() - since:.1f} s; best val acc {best_acc:.4f}")
    model.load_state_dict(best_wts)
    return model, best_acc, history


def main(quick: bool = False, data: str | None = None, pretrained: bool = False, epochs: int | None = None) -> dict:
    """Fine-tune resnet18; returns the best validation accuracy, the history and the final lr."""
    torch.manual_seed(0)
    size = 32 if quick else 64
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    data_transforms = {
        "train": transforms.Compose([transforms.RandomResizedCrop(size, scale=(0.6, 1.0)),
                                     transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]),
        "val": transforms.Compose([transforms.Resize(size), transforms.CenterCrop(size), transforms.ToTensor(), norm]),
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = data or make_image_folder(tmp, per_class=16 if quick else 40)
        image_datasets = {x: datasets.ImageFolder(os.path.join(root, x), data_transforms[x]) for x in ("train", "val")}
        dataloaders = {x: torch.utils.data.DataLoader(image_datasets[x], batch_size=8, shuffle=x == "train")
                       for x in ("train", "val")}
        sizes = {x: len(image_datasets[x]) for x in ("train", "val")}
        class_names = image_datasets["train"].classes
        print(f"classes {class_names}; {sizes['train']} train / {sizes['val']} val images")

        model = models.resnet18(weights=models.ResNet18_Weights.DEFAULT if pretrained else None)
        model.fc = nn.Linear(model.fc.in_features, len(class_names))  # a new head for our classes
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1)  # lr / 10 every 2 epochs
        model, best_acc, history = train_model(model, dataloaders, sizes, criterion, optimizer, scheduler,
                                               epochs or (4 if quick else 6))
    return {"best_acc": best_acc, "history": history, "lr": optimizer.param_groups[0]["lr"], "model": model}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="an ImageFolder root with train/ and val/ (else generated images)")
    parser.add_argument("--pretrained", action="store_true", help="start from ImageNet weights (download)")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--quick", action="store_true", help="tiny images, few epochs")
    args = parser.parse_args()
    main(args.quick, args.data, args.pretrained, args.epochs)
