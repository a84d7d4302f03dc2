"""What `ember train` and `ember eval` print and draw: evaluation, the per-class table, the two PNGs."""

from __future__ import annotations

import os

import numpy as np

import ember
import ember.nn.functional as F

from ._errors import require


def evaluate(model, loader, device, num_classes: int, keep: int = 32) -> dict:
    """Mean test loss, accuracy, per-class correct/total counts and the first `keep` images with predictions."""
    model.eval()
    loss_sum, correct = 0.0, np.zeros(num_classes, np.int64)
    total = np.zeros(num_classes, np.int64)
    kept_images, kept_pred, kept_true = [], [], []
    with ember.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            outputs = model(images)
            loss_sum += F.cross_entropy(outputs, labels, reduction="sum").item()
            pred = outputs.argmax(1).cpu().numpy()
            true = labels.cpu().numpy()
            np.add.at(total, true, 1)
            np.add.at(correct, true[pred == true], 1)
            if sum(len(p) for p in kept_pred) < keep:
                kept_images.append(images.cpu().numpy())
                kept_pred.append(pred)
                kept_true.append(true)
    model.train()
    n = int(total.sum())
    return {"loss": loss_sum / max(n, 1), "accuracy": float(correct.sum()) / max(n, 1), "correct": correct,
            "total": total, "images": np.concatenate(kept_images)[:keep] if kept_images else None,
            "pred": np.concatenate(kept_pred)[:keep] if kept_pred else None,
            "true": np.concatenate(kept_true)[:keep] if kept_true else None}


def class_table(result: dict, classes: list[str]) -> str:
    """The per-class accuracy table (the tutorial's 'Accuracy for class' lines, as a table) and the overall line."""
    width = max(5, *(len(c) for c in classes))
    lines = [f"{'class':<{width}}  correct  total  accuracy"]
    for name, ok, n in zip(classes, result["correct"], result["total"]):
        acc = f"{100.0 * ok / n:7.1f} %" if n else "      - "
        lines.append(f"{name:<{width}}  {ok:7d}  {n:5d}  {acc}")
    n = int(result["total"].sum())
    lines.append(f"overall accuracy: {100.0 * result['accuracy']:.2f} % ({int(result['correct'].sum())}/{n})")
    return "\n".join(lines)


def _pyplot():
    matplotlib = require("matplotlib", why="drawing the plots", hint=" (or pass --no-plots)")
    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    return plt


def plot_curves(history: list[dict], path: str) -> None:
    """Train/test loss and test accuracy per epoch, as a PNG."""
    plt = _pyplot()
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [h["train_loss"] for h in history], "o-", label="train loss")
    ax_loss.plot(epochs, [h["test_loss"] for h in history], "o-", label="test loss")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy")
    ax_loss.legend()
    ax_acc.plot(epochs, [100 * h["test_accuracy"] for h in history], "o-", color="tab:green")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("test accuracy (%)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_predictions(result: dict, classes: list[str], path: str, columns: int = 8) -> None:
    """A grid of test images titled 'predicted / true' (green when right, red when wrong), as a PNG."""
    plt = _pyplot()
    images = result["images"]
    rows = (len(images) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(1.4 * columns, 1.6 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, img, p, t in zip(axes.flat, images, result["pred"], result["true"]):
        img = np.clip(img * 0.5 + 0.5, 0, 1).transpose(1, 2, 0)  # undo Normalize(0.5, 0.5); CHW -> HWC
        ax.imshow(img[..., 0] if img.shape[2] == 1 else img, cmap="gray" if img.shape[2] == 1 else None)
        ax.set_title(f"{classes[p]} / {classes[t]}", fontsize=8, color="tab:green" if p == t else "tab:red")
    fig.suptitle("predicted / true", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def output_files(out: str) -> list[str]:
    """The files a training run leaves in out."""
    return [os.path.join(out, name) for name in ("checkpoint.pt", "curves.png", "predictions.png")
            if os.path.exists(os.path.join(out, name))]
