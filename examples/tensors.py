"""Tensors and the NumPy bridge: creating tensors, their attributes, operations, and sharing memory with NumPy.

Run: python examples/tensors.py
"""

import numpy as np

import ember as torch


def main(quick: bool = False) -> dict:
    """Walk through tensor basics; returns a few of the results for the tests."""
    data = [[1, 2], [3, 4]]
    x_data = torch.tensor(data)
    x_ones = torch.ones_like(x_data)
    x_rand = torch.rand_like(x_data, dtype=torch.float)
    print(f"from a list:\n{x_data}\nones_like:\n{x_ones}\nrand_like:\n{x_rand}")

    tensor = torch.rand(3, 4)
    print(f"shape {tensor.shape}, dtype {tensor.dtype}, device {tensor.device}")

    tensor = torch.ones(4, 4)
    tensor[:, 1] = 0  # NumPy-style indexing and assignment
    joined = torch.cat([tensor, tensor], dim=1)
    print(f"a column zeroed:\n{tensor}\ncat along dim 1 -> {tuple(joined.shape)}")

    y1 = tensor @ tensor.T  # three ways to the same matrix product
    y2 = tensor.matmul(tensor.T)
    y3 = torch.empty_like(y1)
    torch.matmul(tensor, tensor.T, out=y3)
    z = tensor * tensor  # elementwise
    total = tensor.sum().item()
    print(f"matmul ways agree: {torch.equal(y1, y2) and torch.equal(y1, y3)}; sum {total}")
    tensor.add_(5)  # in-place ops end in an underscore
    print(f"after add_(5):\n{tensor}")

    t = torch.ones(5)
    n = t.numpy()  # shares memory: a change to one shows in the other
    t.add_(1)
    print(f"tensor {t} -> numpy {n}")
    a = np.ones(5)
    b = torch.from_numpy(a)
    np.add(a, 1, out=a)
    print(f"numpy {a} -> tensor {b}")
    return {"matmul": y1.numpy(), "elementwise": z.numpy(), "sum": total, "shared_numpy": n.copy(),
            "shared_tensor": b.numpy().copy()}


if __name__ == "__main__":
    main()
